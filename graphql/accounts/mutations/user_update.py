"""userUpdate: change the fields given; deactivating a user revokes their sign-in tokens."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.accounts.types import User
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.accounts.users import user_update
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class UserUpdate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.UNKNOWN_LANGUAGE,
        )

    class Arguments:
        id = graphene.ID(required=True)
        email = graphene.String()
        first_name = graphene.String()
        last_name = graphene.String()
        language = graphene.String()
        is_active = graphene.Boolean()

    user = graphene.Field(User)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **changes: Any
    ) -> dict[str, Any]:
        changes = {key: value for key, value in changes.items() if value is not None}
        return {"user": user_update(access=access, user_id=pk_of("User", id), changes=changes)}
