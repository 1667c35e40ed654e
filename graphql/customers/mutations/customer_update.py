"""customerUpdate: change the fields given, each writable for the caller at the record's status."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.customers.mutations.fields import customer_arguments, model_fields
from crm.graphql.customers.types import Customer, DuplicateCandidate
from crm.masterdata.customers.services import customer_update
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class CustomerUpdate(CrmMutation):
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

    Arguments = type("Arguments", (), {"id": graphene.ID(required=True), **customer_arguments()})

    customer = graphene.Field(Customer)
    duplicates = graphene.List(graphene.NonNull(DuplicateCandidate))

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        customer = customer_update(
            access=access,
            customer_id=pk_of("Customer", id),
            changes=model_fields(arguments),
            confirm_duplicate=bool(arguments.get("confirm_duplicate")),
        )
        return {"customer": customer, "duplicates": []}
