"""accountCreate: this business unit's account for a golden customer (one per customer)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.relationships.mutations.fields import account_arguments, model_values, user_pk
from crm.graphql.relationships.types import Account
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.localcustomers.services import account_create


class AccountCreate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.UNKNOWN_CURRENCY,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.INVALID_ASSIGNEE,
        )

    Arguments = type(
        "Arguments",
        (),
        {
            "customer": graphene.ID(required=True, description="The golden customer."),
            "owner": graphene.ID(description="Default: you. Another user needs ASSIGN."),
            **account_arguments(),
        },
    )

    account = graphene.Field(Account)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        account = account_create(
            access,
            customer_id=pk_of("Customer", arguments["customer"], field="customer"),
            values=model_values(arguments, account_arguments()),
            owner_id=user_pk(arguments.get("owner")),
        )
        return {"account": account}
