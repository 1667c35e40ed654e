"""roleCreate: a new role of the group; it grants nothing until the policy gives it rules."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.permissions.types import Role
from crm.platform.accounts.roles import role_create
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class RoleCreate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.NOT_FOUND,
        )

    class Arguments:
        code = graphene.String(required=True, description="e.g. key_account_manager")
        names = graphene.List(graphene.NonNull(TranslationInput), required=True)

    role = graphene.Field(Role)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, code: str, names: list[Any]
    ) -> dict[str, Any]:
        return {"role": role_create(access=access, code=code, names=translations(names))}
