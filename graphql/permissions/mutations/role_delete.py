"""roleDelete: remove a role nobody holds and no policy version names (IN_USE otherwise)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.platform.accounts.roles import role_delete
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class RoleDelete(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.IN_USE)

    class Arguments:
        code = graphene.String(required=True)

    deleted_code = graphene.String()

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, code: str) -> dict[str, Any]:
        role_delete(access=access, code=code)
        return {"deleted_code": code}
