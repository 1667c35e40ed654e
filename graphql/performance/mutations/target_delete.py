"""targetDelete: remove a target."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.performance import targets


class TargetDelete(CrmMutation):
    class Meta:
        description = "Remove a target."
        error_codes = (ErrorCode.MALFORMED_ID, ErrorCode.NOT_FOUND)

    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID(description="The id of the target removed.")

    @classmethod
    def perform(cls, _info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        targets.target_delete(access, pk_of("Target", id))
        return {"deleted_id": id}
