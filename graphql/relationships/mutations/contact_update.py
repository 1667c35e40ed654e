"""contactUpdate: change the fields given (each writable for the caller); a new owner needs
ASSIGN; `account: null` detaches the contact from its account."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.relationships.mutations.fields import contact_arguments, model_values, user_pk
from crm.graphql.relationships.types import Contact
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contacts.services import update_contact


class ContactUpdate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.UNKNOWN_CURRENCY,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.INVALID_ASSIGNEE,
        )

    Arguments = type(
        "Arguments",
        (),
        {
            "id": graphene.ID(required=True),
            "account": graphene.ID(description="Another account; null: none."),
            "owner": graphene.ID(description="A new owner (ASSIGN)."),
            **contact_arguments(),
        },
    )

    contact = graphene.Field(Contact)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        account = arguments.get("account")
        contact = update_contact(
            access,
            contact_id=pk_of("Contact", id),
            values=model_values(arguments, contact_arguments()),
            account=pk_of("Account", account, field="account") if account else None,
            clear_account="account" in arguments and account is None,
            owner_id=user_pk(arguments.get("owner")),
        )
        return {"contact": contact}
