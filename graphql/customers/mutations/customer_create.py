"""customerCreate: a golden customer; suspected duplicates are refused unless confirmed."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.customers.mutations.fields import customer_arguments, model_fields
from crm.graphql.customers.types import Customer, DuplicateCandidate
from crm.masterdata.customers.services import customer_create
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class CustomerCreate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.INVALID_TAX_ID,
            ErrorCode.DUPLICATE_SUSPECTED,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
        )

    Arguments = type("Arguments", (), customer_arguments())

    customer = graphene.Field(Customer)
    duplicates = graphene.List(
        graphene.NonNull(DuplicateCandidate),
        description="With DUPLICATE_SUSPECTED: the records that look alike, with scores.",
    )

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        customer = customer_create(
            access=access,
            fields=model_fields(arguments),
            confirm_duplicate=bool(arguments.get("confirm_duplicate")),
        )
        return {"customer": customer, "duplicates": []}
