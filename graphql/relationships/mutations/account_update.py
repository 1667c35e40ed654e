"""accountUpdate: change the account's own fields given, each writable for the caller."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.relationships.mutations.fields import account_arguments, model_values
from crm.graphql.relationships.types import Account
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.localcustomers.services import account_update


class AccountUpdate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.UNKNOWN_CURRENCY,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.ALREADY_EXISTS,
        )

    Arguments = type("Arguments", (), {"id": graphene.ID(required=True), **account_arguments()})

    account = graphene.Field(Account)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        account = account_update(
            access,
            account_id=pk_of("Account", id),
            values=model_values(arguments, account_arguments()),
        )
        return {"account": account}
