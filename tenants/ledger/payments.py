"""Payments received and their allocation to invoices.

A payment is recorded with its full amount, converted at the rate of the day it was received,
and may be allocated at once or later, to one or several open invoices of the payer in the
payment's currency (another currency: CURRENCY_MISMATCH). Allocations never take more than the
payment has unallocated, nor more than an invoice has open (PAYMENT_OVER_ALLOCATED; nothing is
allocated then). Whatever is not allocated stays on the payment as the customer's credit.
An allocation's value in the group currency is at the payment's rate; the invoice's open
amount in the group currency stays at the invoice's own rate (the difference is the realised
exchange difference, not booked here).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from moneyed import Money

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import currency as known_currency
from crm.platform.core.money import round_money
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.ledger import integration
from crm.tenants.ledger.access import PAYMENT
from crm.tenants.ledger.conversion import (
    apply_rate,
    group_rate,
    money_amount,
    money_text,
    rate_of,
)
from crm.tenants.ledger.invoices import SETTLED_FIELDS, get_invoice, settle
from crm.tenants.ledger.models import (
    OPEN_INVOICE_STATUSES,
    Allocation,
    EventKind,
    Invoice,
    InvoiceStatus,
    Payment,
    SequenceKind,
)
from crm.tenants.ledger.numbering import next_number
from crm.tenants.ledger.orders import account_of, business_date
from crm.tenants.localcustomers.models import LocalCustomer

OBJECT = "payment"
MAX_ALLOCATIONS = 200


@dataclass(frozen=True)
class AllocationInput:
    invoice_id: int
    amount: Decimal | str | int


def payments(access: Access) -> QuerySet[Payment]:
    return access.visible(PAYMENT, Payment.objects.select_related("payer"))


def get_payment(access: Access, pk: int, *, field: str = "id") -> Payment:
    payment = payments(access).filter(pk=pk).first()
    if payment is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=OBJECT, id=pk)
    return payment


def payment_record(
    access: Access,
    *,
    payer: LocalCustomer | int,
    amount: Decimal | str | int,
    currency: str | None = None,
    received_on: datetime.date | None = None,
    reference: str = "",
    external_reference: str = "",
    allocations: Sequence[AllocationInput] = (),
) -> Payment:
    """Record a payment received from `payer` (in the BU's currency by default), allocated to
    the given invoices on the day received; the rest stays unallocated as the payer's credit.
    Records the `payment.received` integration event."""
    given = ["payer", "amount", "received_on"]
    for name, present in (
        ("reference", bool(reference)),
        ("external_reference", bool(external_reference)),
        ("allocations", bool(allocations)),
    ):
        if present:
            given.append(name)
    access.require(Action.CREATE, PAYMENT, given)
    payment_currency = known_currency(currency or access.business_unit.currency).code
    value = money_amount(amount, payment_currency, field="amount")
    day = business_date(access, received_on, field="receivedOn", not_before=None)
    text, sender_id = (reference or "").strip(), (external_reference or "").strip()
    if len(text) > 200:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="reference", reason="at most 200 characters"
        )
    if len(sender_id) > 100:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="externalReference", reason="at most 100 characters"
        )
    with transaction.atomic():
        account = account_of(access, payer, field="payer")
        if sender_id:
            existing = Payment.objects.filter(external_reference=sender_id).first()
            if existing is not None:
                raise CrmError(
                    ErrorCode.RECORD_DUPLICATE,
                    field="externalReference",
                    object=OBJECT,
                    reason="external reference",
                    id=existing.number,
                )
        rate = group_rate(access.business_unit, payment_currency, day)
        payment = Payment(
            number=next_number(SequenceKind.PAYMENT, day),
            payer=account,
            owner_id=account.sales_owner_id,
            received_on=day,
            reference=text,
            external_reference=sender_id,
            amount=value,
            amount_group=rate.convert(value),
            allocated_amount=Decimal(0),
            unallocated_amount=value,
        )
        apply_rate(payment, rate)
        payment.save()
        if allocations:
            _allocate(access, payment, allocations, day)
        integration.publish(
            EventKind.PAYMENT_RECEIVED,
            business_unit=access.business_unit,
            record_type="Payment",
            record_id=payment.pk,
            idempotency_key=f"{access.business_unit.handle}:payment.received:{payment.number}",
            data=payment_data(payment),
        )
    return payment


def payment_data(payment: Payment) -> dict[str, object]:
    return {
        "number": payment.number,
        "payer": payment.payer.local_code,
        "customer_id": payment.payer.customer_id,
        "received_on": payment.received_on.isoformat(),
        "reference": payment.reference,
        "external_reference": payment.external_reference,
        "currency": payment.currency,
        "amount": money_text(payment.amount, payment.currency),
        "group_currency": payment.group_currency,
        "amount_group": money_text(payment.amount_group, payment.group_currency),
        "unallocated": money_text(payment.unallocated_amount, payment.currency),
        "allocations": [
            {"invoice": number, "amount": money_text(amount, payment.currency)}
            for number, amount in payment.allocations.order_by("id").values_list(
                "invoice__number", "amount"
            )
        ],
    }


def payment_allocate(
    access: Access,
    payment: Payment,
    *,
    allocations: Sequence[AllocationInput],
    allocated_on: datetime.date | None = None,
) -> Payment:
    """Allocate (more of) a payment's unallocated amount to open invoices of its payer."""
    with transaction.atomic():
        locked = payments(access).select_for_update(of=("self",)).filter(pk=payment.pk).first()
        if locked is None:
            raise CrmError(ErrorCode.NOT_FOUND, field="id", object=OBJECT, id=payment.pk)
        access.require(Action.EDIT, locked, ["allocations"])
        day = business_date(
            access, allocated_on, field="allocatedOn", not_before=locked.received_on
        )
        _allocate(access, locked, allocations, day)
    return locked


def _allocate(
    access: Access,
    payment: Payment,
    allocations: Sequence[AllocationInput],
    day: datetime.date,
) -> None:
    if not allocations:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="allocations", reason="at least one")
    if len(allocations) > MAX_ALLOCATIONS:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="allocations", reason=f"at most {MAX_ALLOCATIONS}"
        )
    # Visible invoices first (NOT_FOUND names the entry), then locked in id order (no deadlock
    # between two allocations touching the same invoices).
    chosen = [
        get_invoice(access, entry.invoice_id, field=f"allocations.{index}.invoice").pk
        for index, entry in enumerate(allocations)
    ]
    locked = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update().filter(pk__in=chosen).order_by("pk")
    }
    taken: dict[int, Decimal] = {}
    total = Decimal(0)
    for index, (entry, invoice_id) in enumerate(zip(allocations, chosen, strict=True)):
        invoice = locked[invoice_id]
        field = f"allocations.{index}"
        # A paid invoice is refused below as over-allocated (nothing open); a draft or a
        # cancelled one cannot be paid at all.
        if invoice.status not in (*OPEN_INVOICE_STATUSES, InvoiceStatus.PAID):
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field=f"{field}.invoice",
                reason=f"invoice {invoice.number or invoice.pk} is "
                f"{InvoiceStatus(invoice.status).label.lower()}",
            )
        if invoice.account_id != payment.payer_id:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field=f"{field}.invoice",
                reason=f"invoice {invoice.number} is another customer's",
            )
        if invoice.currency != payment.currency:
            raise CrmError(
                ErrorCode.CURRENCY_MISMATCH,
                field=f"{field}.invoice",
                object="Invoice",
                number=invoice.number,
                currency=invoice.currency,
                expected=payment.currency,
            )
        amount = money_amount(entry.amount, payment.currency, field=f"{field}.amount")
        taken[invoice_id] = taken.get(invoice_id, Decimal(0)) + amount
        total += amount
        if taken[invoice_id] > invoice.open_amount:
            raise CrmError(
                ErrorCode.PAYMENT_OVER_ALLOCATED,
                field=f"{field}.amount",
                what=f"the open amount of invoice {invoice.number}",
                available=round_money(
                    Money(invoice.open_amount - (taken[invoice_id] - amount), invoice.currency)
                ),
            )
        if total > payment.unallocated_amount:
            raise CrmError(
                ErrorCode.PAYMENT_OVER_ALLOCATED,
                field=f"{field}.amount",
                what=f"what payment {payment.number} has unallocated",
                available=round_money(
                    Money(payment.unallocated_amount - (total - amount), payment.currency)
                ),
            )
    rate = rate_of(payment)
    label = access.principal.label[:200]

    def dated(invoice_id: int) -> datetime.date:
        # An allocation is dated no earlier than the invoice it settles (a payment received
        # before the invoice settles it from its issue date).
        issued = locked[invoice_id].issue_date
        return max(day, issued) if issued is not None else day

    Allocation.objects.bulk_create(
        Allocation(
            payment=payment,
            invoice_id=invoice_id,
            amount=amount,
            amount_group=rate.convert(amount),
            allocated_on=dated(invoice_id),
            allocated_by=label,
        )
        for invoice_id, amount in (
            (chosen[index], money_amount(entry.amount, payment.currency, field="amount"))
            for index, entry in enumerate(allocations)
        )
    )
    now = timezone.now()
    latest = max(dated(invoice_id) for invoice_id in taken)
    for invoice_id, amount in taken.items():
        invoice = locked[invoice_id]
        invoice.paid_amount += amount
        settle(invoice, on=dated(invoice_id))
        invoice.updated_at = now
        invoice.save(update_fields=[*SETTLED_FIELDS, "updated_at"])
    payment.allocated_amount += total
    payment.unallocated_amount -= total
    if payment.last_allocated_on is None or latest > payment.last_allocated_on:
        payment.last_allocated_on = latest
    if payment.unallocated_amount == 0:
        payment.allocated_in_full_on = payment.last_allocated_on
    payment.save(
        update_fields=[
            "allocated_amount",
            "unallocated_amount",
            "last_allocated_on",
            "allocated_in_full_on",
        ]
    )


def payment_update(access: Access, payment: Payment, *, reference: str | None = None) -> Payment:
    """Correct a payment's reference (its amount and date are fixed once recorded)."""
    with transaction.atomic():
        locked = payments(access).select_for_update(of=("self",)).filter(pk=payment.pk).first()
        if locked is None:
            raise CrmError(ErrorCode.NOT_FOUND, field="id", object=OBJECT, id=payment.pk)
        changes = ["reference"] if reference is not None else []
        access.require(Action.EDIT, locked, changes)
        if reference is not None:
            text = reference.strip()
            if len(text) > 200:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="reference", reason="at most 200 characters"
                )
            locked.reference = text
            locked.save(update_fields=changes)
    return locked
