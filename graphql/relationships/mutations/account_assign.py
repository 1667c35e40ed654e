"""accountAssign: give the account to another owner (an active user with a role in this BU)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.relationships.types import Account
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.localcustomers.services import account_assign


class AccountAssign(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID, ErrorCode.INVALID_ASSIGNEE)

    class Arguments:
        id = graphene.ID(required=True)
        owner = graphene.ID(required=True, description="The user who owns it from now on.")

    account = graphene.Field(Account)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, owner: str
    ) -> dict[str, Any]:
        account = account_assign(
            access, account_id=pk_of("Account", id), owner_id=pk_of("User", owner, field="owner")
        )
        return {"account": account}
