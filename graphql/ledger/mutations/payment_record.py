"""paymentRecord: a payment received, allocated to invoices or kept as the payer's credit."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT
from crm.graphql.ledger.types import Payment
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import payments
from crm.tenants.ledger.payments import AllocationInput as AllocationValue


class AllocationInput(graphene.InputObjectType):
    invoice = graphene.ID(required=True, description="Invoice:<pk>")
    amount = graphene.Decimal(required=True, description="In the payment's currency.")


def allocations_of(entries: list[dict[str, Any]] | None) -> list[AllocationValue]:
    return [
        AllocationValue(
            pk_of("Invoice", entry["invoice"], field=f"allocations.{i}.invoice"),
            Decimal(entry["amount"]),
        )
        for i, entry in enumerate(entries or [])
    ]


ALLOCATION_CODES = (ErrorCode.PAYMENT_OVER_ALLOCATED, ErrorCode.CURRENCY_MISMATCH)


class PaymentRecord(CrmMutation):
    class Meta:
        description = (
            "Record a payment received from an account, in the business unit's currency unless "
            "named, converted at the rate of the day received, and allocate it to open invoices "
            "of the payer in the same currency; what is not allocated is kept as the payer's "
            "credit. More than the payment or an invoice's open amount is PAYMENT_OVER_ALLOCATED "
            "and nothing is recorded. The ERP is told (payment.received)."
        )
        error_codes = (
            *ON_DOCUMENT,
            ErrorCode.UNKNOWN_CURRENCY,
            ErrorCode.RATE_NOT_FOUND,
            ErrorCode.RECORD_DUPLICATE,
            *ALLOCATION_CODES,
        )

    class Arguments:
        payer = graphene.ID(required=True, description="Account:<pk>")
        amount = graphene.Decimal(required=True)
        currency = graphene.String()
        received_on = graphene.Date()
        payment_reference = graphene.String(description="The bank's or payer's reference.")
        external_reference = graphene.String(description="The sender's id (e.g. bank import).")
        allocations = graphene.List(graphene.NonNull(AllocationInput))

    payment = graphene.Field(Payment)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        payer: str,
        amount: Decimal,
        currency: str | None = None,
        received_on: datetime.date | None = None,
        payment_reference: str | None = None,
        external_reference: str | None = None,
        allocations: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        payment = payments.payment_record(
            access,
            payer=pk_of("Account", payer, field="payer"),
            amount=amount,
            currency=currency,
            received_on=received_on,
            reference=payment_reference or "",
            external_reference=external_reference or "",
            allocations=allocations_of(allocations),
        )
        return {"payment": payments.get_payment(access, payment.pk)}
