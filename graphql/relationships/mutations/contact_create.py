"""contactCreate: a person at an account (personal data), owned by the caller by default."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.relationships.mutations.fields import contact_arguments, model_values, user_pk
from crm.graphql.relationships.types import Contact
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contacts.services import create_contact


class ContactCreate(CrmMutation):
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
            "account": graphene.ID(description="The account the person works for."),
            "owner": graphene.ID(description="Default: you. Another user needs ASSIGN."),
            **contact_arguments(),
        },
    )

    contact = graphene.Field(Contact)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        account = arguments.get("account")
        contact = create_contact(
            access,
            values=model_values(arguments, contact_arguments()),
            account=pk_of("Account", account, field="account") if account else None,
            owner_id=user_pk(arguments.get("owner")),
        )
        return {"contact": contact}
