"""localCustomerSet: this business unit's own code, name and terms for a golden customer."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.customers.types import LocalCustomer
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.localcustomers.services import local_customer_set


class LocalCustomerSet(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
        )

    class Arguments:
        customer = graphene.ID(required=True)
        local_code = graphene.String(required=True)
        local_name = graphene.String(default_value="")
        payment_terms = graphene.String(default_value="")

    local = graphene.Field(LocalCustomer)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, customer: str, **fields: Any
    ) -> dict[str, Any]:
        record = local_customer_set(
            access=access, customer_id=pk_of("Customer", customer, field="customer"), **fields
        )
        return {"local": record}
