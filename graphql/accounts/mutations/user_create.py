"""userCreate: a person of the group, who then gets roles with membershipGrant."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.accounts.types import User
from crm.graphql.core.mutations import CrmMutation
from crm.platform.accounts.users import user_create
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class UserCreate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
        )

    class Arguments:
        username = graphene.String(required=True)
        email = graphene.String(required=True)
        first_name = graphene.String(default_value="")
        last_name = graphene.String(default_value="")
        language = graphene.String(default_value="", description="Empty: the BU's language.")
        password = graphene.String(required=True, description="Checked by the password rules.")

    user = graphene.Field(User)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        return {"user": user_create(access=access, **arguments)}
