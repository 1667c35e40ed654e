"""paymentAllocate: allocate (more of) a payment to open invoices of its payer."""

from __future__ import annotations

import datetime
from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT, payment_of
from crm.graphql.ledger.mutations.payment_record import (
    ALLOCATION_CODES,
    AllocationInput,
    allocations_of,
)
from crm.graphql.ledger.types import Payment
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import payments


class PaymentAllocate(CrmMutation):
    class Meta:
        description = (
            "Allocate what a payment has unallocated to open invoices of its payer, in the "
            "payment's currency (else CURRENCY_MISMATCH); never more than the payment has left "
            "or an invoice has open (PAYMENT_OVER_ALLOCATED: nothing is allocated then)."
        )
        error_codes = (*ON_DOCUMENT, *ALLOCATION_CODES)

    class Arguments:
        id = graphene.ID(required=True)
        allocations = graphene.List(graphene.NonNull(AllocationInput), required=True)
        allocated_on = graphene.Date(description="Today in the business unit by default.")

    payment = graphene.Field(Payment)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        allocations: list[dict[str, Any]],
        allocated_on: datetime.date | None = None,
    ) -> dict[str, Any]:
        payment = payments.payment_allocate(
            access,
            payment_of(access, id),
            allocations=allocations_of(allocations),
            allocated_on=allocated_on,
        )
        return {"payment": payments.get_payment(access, payment.pk)}
