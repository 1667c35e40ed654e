"""Invoices against orders and credit notes on invoices.

An invoice is created as a draft against one confirmed order: each of its lines takes a
quantity of one order line, at the order line's unit price and tax rate. An order line can be
invoiced up to what was delivered (or, for an order invoiced in advance, what was ordered), less
what other invoices that are not cancelled took (drafts too); more is INVOICE_EXCEEDS_ORDER. A
part's tax is its net times the rate, rounded by the one rule; the invoice that takes a line's
last quantity takes the rest of its net and tax (`taxes.invoiced_part`), so an order's invoices
add up to its net, tax and total exactly, whatever the rounding of partial invoices. An
invoice's total is gross (net + tax): what is owed, paid and aged.

Issuing gives the draft its number (the BU's sequence, without gaps), its issue date, its due
date (from the account's payment terms unless given), and its conversion to the group currency
at the issue date's rate; it records the `invoice.issued` integration event. A credit note
reduces an issued invoice's open amount by a gross amount, never below zero
(CREDIT_NOTE_EXCEEDS_INVOICE); the tax in it is the invoice's in proportion, per rate
(`taxes.credited_parts`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from moneyed import Money

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import round_money
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.ledger import integration, taxes
from crm.tenants.ledger.access import CREDIT_NOTE, INVOICE
from crm.tenants.ledger.conversion import (
    apply_rate,
    group_rate,
    money_amount,
    money_text,
    rate_of,
)
from crm.tenants.ledger.models import (
    CreditNote,
    CreditNoteTax,
    EventKind,
    Invoice,
    InvoiceBasis,
    InvoiceLine,
    InvoiceStatus,
    Order,
    OrderLine,
    OrderStatus,
    SequenceKind,
)
from crm.tenants.ledger.numbering import next_number
from crm.tenants.ledger.orders import business_date, get_order, quantity_of

OBJECT = "invoice"
# Payment terms that are empty give this many days.
DEFAULT_PAYMENT_DAYS = 30
MAX_PAYMENT_DAYS = 365
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class InvoiceLineInput:
    order_line_id: int
    quantity: Decimal | str | int


# -- lookups --------------------------------------------------------------------------------


def invoices(access: Access) -> QuerySet[Invoice]:
    return access.visible(INVOICE, Invoice.objects.select_related("account"))


def get_invoice(access: Access, pk: int, *, field: str = "id") -> Invoice:
    invoice = invoices(access).filter(pk=pk).first()
    if invoice is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=OBJECT, id=pk)
    return invoice


def locked_invoice(access: Access, pk: int, *, field: str = "id") -> Invoice:
    locked = invoices(access).select_for_update(of=("self",)).filter(pk=pk).first()
    if locked is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=OBJECT, id=pk)
    return locked


def credit_notes(access: Access) -> QuerySet[CreditNote]:
    return access.visible(CREDIT_NOTE, CreditNote.objects.select_related("account"))


def get_credit_note(access: Access, pk: int, *, field: str = "id") -> CreditNote:
    note = credit_notes(access).filter(pk=pk).first()
    if note is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="credit note", id=pk)
    return note


def _closed(invoice: Invoice) -> CrmError:
    return CrmError(
        ErrorCode.RECORD_CLOSED, object=OBJECT, status=InvoiceStatus(invoice.status).label.lower()
    )


def payment_days(terms: str) -> int | None:
    """The days to pay that payment terms give: the largest number in them ("2 % 10 Tage,
    30 Tage netto" is 30), DEFAULT_PAYMENT_DAYS for no terms, None when they name no number."""
    text = (terms or "").strip()
    if not text:
        return DEFAULT_PAYMENT_DAYS
    numbers = [int(found) for found in _NUMBER.findall(text) if int(found) <= MAX_PAYMENT_DAYS]
    return max(numbers) if numbers else None


def settle(invoice: Invoice, *, on: datetime.date) -> None:
    """Recompute an issued invoice's open amounts and status from what settled it, the latest
    settlement being of `on` (no save). The open amount in the group currency is at the
    invoice's own rate; a settled invoice is closed on its latest settlement's date."""
    invoice.open_amount = invoice.total - invoice.credited_amount - invoice.paid_amount
    invoice.open_amount_group = rate_of(invoice).convert(invoice.open_amount)
    if invoice.last_settled_on is None or on > invoice.last_settled_on:
        invoice.last_settled_on = on
    if invoice.open_amount == 0:
        invoice.status = InvoiceStatus.PAID
        invoice.closed_on = invoice.last_settled_on
    elif invoice.paid_amount > 0 or invoice.credited_amount > 0:
        invoice.status = InvoiceStatus.PARTIALLY_PAID
    else:
        invoice.status = InvoiceStatus.ISSUED


SETTLED_FIELDS = [
    "credited_amount",
    "paid_amount",
    "open_amount",
    "open_amount_group",
    "status",
    "last_settled_on",
    "closed_on",
]


# -- drafts ---------------------------------------------------------------------------------


def _invoiceable(order: Order, line: OrderLine) -> Decimal:
    basis = (
        line.quantity if order.invoice_basis == InvoiceBasis.ORDERED else line.delivered_quantity
    )
    return basis - line.invoiced_quantity


def _taken(line_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """The net and tax of the given order lines that invoices not cancelled took already."""
    rows = (
        InvoiceLine.objects.filter(order_line_id__in=line_ids)
        .exclude(invoice__status=InvoiceStatus.CANCELLED)
        .values("order_line_id")
        .annotate(net=Sum("amount"), tax=Sum("tax_amount"))
    )
    return {row["order_line_id"]: (row["net"], row["tax"]) for row in rows}


def invoice_create(
    access: Access,
    *,
    order: Order | int,
    lines: Sequence[InvoiceLineInput] | None = None,
    notes: str = "",
) -> Invoice:
    """A draft invoice against a confirmed order: the given lines, or everything that can be
    invoiced now without them."""
    given = ["order", "lines"] + (["notes"] if notes else [])
    access.require(Action.CREATE, INVOICE, given)
    if len(notes or "") > 5000:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="notes", reason="at most 5000 characters")
    with transaction.atomic():
        pk = order.pk if isinstance(order, Order) else order
        found = get_order(access, pk, field="order")
        locked = Order.objects.select_for_update().select_related("account").get(pk=found.pk)
        if locked.status == OrderStatus.CANCELLED:
            raise CrmError(
                ErrorCode.RECORD_CLOSED, field="order", object="order", status="cancelled"
            )
        if not locked.confirmed:
            raise CrmError(ErrorCode.ORDER_NOT_CONFIRMED, field="order", order=locked.number)
        order_lines = {
            line.pk: line for line in locked.lines.select_for_update().order_by("position")
        }
        wanted: dict[int, Decimal] = {}
        if lines is None:
            for line in order_lines.values():
                if _invoiceable(locked, line) > 0:
                    wanted[line.pk] = _invoiceable(locked, line)
            if not wanted:
                first = next(iter(order_lines.values()))
                raise CrmError(
                    ErrorCode.INVOICE_EXCEEDS_ORDER,
                    field="lines",
                    order=locked.number,
                    line=first.position,
                    available=Decimal(0),
                    basis=InvoiceBasis(locked.invoice_basis).label.lower(),
                )
        else:
            if not lines:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="lines", reason="at least one line"
                )
            for index, entry in enumerate(lines):
                chosen = order_lines.get(entry.order_line_id)
                if chosen is None:
                    raise CrmError(
                        ErrorCode.NOT_FOUND,
                        field=f"lines.{index}.orderLine",
                        object="order line",
                        id=entry.order_line_id,
                    )
                quantity = quantity_of(entry.quantity, field=f"lines.{index}.quantity")
                wanted[chosen.pk] = wanted.get(chosen.pk, Decimal(0)) + quantity
                available = _invoiceable(locked, chosen)
                if wanted[chosen.pk] > available:
                    raise CrmError(
                        ErrorCode.INVOICE_EXCEEDS_ORDER,
                        field=f"lines.{index}.quantity",
                        order=locked.number,
                        line=chosen.position,
                        available=available,
                        basis=InvoiceBasis(locked.invoice_basis).label.lower(),
                    )
        invoice_lines = []
        taken = _taken(list(wanted))
        for position, (line_id, quantity) in enumerate(
            sorted(wanted.items(), key=lambda item: order_lines[item[0]].position), start=1
        ):
            line = order_lines[line_id]
            net_taken, tax_taken = taken.get(line_id, (Decimal(0), Decimal(0)))
            net, tax = taxes.invoiced_part(
                quantity=quantity,
                unit_price=line.unit_price,
                rate=line.tax_rate,
                currency=locked.currency,
                completes=line.invoiced_quantity + quantity == line.quantity,
                net_left=line.amount - net_taken,
                tax_left=line.tax_amount - tax_taken,
            )
            invoice_lines.append(
                InvoiceLine(
                    order_line=line,
                    position=position,
                    quantity=quantity,
                    unit_price=line.unit_price,
                    amount=net,
                    tax_code=line.tax_code,
                    tax_rate=line.tax_rate,
                    tax_amount=tax,
                )
            )
            line.invoiced_quantity += quantity
        OrderLine.objects.bulk_update([order_lines[pk] for pk in wanted], ["invoiced_quantity"])
        net_total = sum((line.amount for line in invoice_lines), Decimal(0))
        tax_total = sum((line.tax_amount for line in invoice_lines), Decimal(0))
        invoice = Invoice.objects.create(
            order=locked,
            account=locked.account,
            owner_id=locked.owner_id,
            status=InvoiceStatus.DRAFT,
            notes=(notes or "").strip(),
            currency=locked.currency,
            group_currency=locked.group_currency,
            net_total=net_total,
            tax_total=tax_total,
            total=net_total + tax_total,
        )
        for invoice_line in invoice_lines:
            invoice_line.invoice = invoice
        InvoiceLine.objects.bulk_create(invoice_lines)
    return invoice


def invoice_update(access: Access, invoice: Invoice, *, notes: str | None = None) -> Invoice:
    """Change the notes of a draft (an issued invoice is a document sent: RECORD_CLOSED)."""
    with transaction.atomic():
        locked = locked_invoice(access, invoice.pk)
        if locked.status != InvoiceStatus.DRAFT:
            raise _closed(locked)
        changes = ["notes"] if notes is not None else []
        access.require(Action.EDIT, locked, changes)
        if notes is not None:
            if len(notes) > 5000:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="notes", reason="at most 5000 characters"
                )
            locked.notes = notes.strip()
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changes, "updated_at"])
    return locked


# -- issue and cancel -----------------------------------------------------------------------


def invoice_issue(
    access: Access,
    invoice: Invoice,
    *,
    issue_date: datetime.date | None = None,
    due_date: datetime.date | None = None,
) -> Invoice:
    """Issue a draft: number, dates, conversion at the issue date, the integration event."""
    with transaction.atomic():
        locked = locked_invoice(access, invoice.pk)
        if locked.status == InvoiceStatus.CANCELLED:
            raise _closed(locked)
        access.require(Action.ADVANCE, locked)
        if locked.status != InvoiceStatus.DRAFT:
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                object=OBJECT,
                stage=InvoiceStatus(locked.status).label,
                direction="to issued (it is issued already)",
            )
        order = Order.objects.select_for_update().get(pk=locked.order_id)
        day = business_date(access, issue_date, field="issueDate", not_before=order.order_date)
        terms = locked.account.payment_terms
        if due_date is None:
            days = payment_days(terms)
            if days is None:
                raise CrmError(ErrorCode.PAYMENT_TERMS_UNREADABLE, field="dueDate", terms=terms)
            due = day + datetime.timedelta(days=days)
        else:
            if due_date < day:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="dueDate", reason="on or after the issue date"
                )
            due, days = due_date, (due_date - day).days
        rate = group_rate(access.business_unit, locked.currency, day)
        lines = list(locked.lines.order_by("position"))
        _net_group, lines_group = rate.split(locked.net_total, [line.amount for line in lines])
        for line, amount_group in zip(lines, lines_group, strict=True):
            line.amount_group = amount_group
        InvoiceLine.objects.bulk_update(lines, ["amount_group"])
        total_group = rate.convert(locked.total)
        apply_rate(locked, rate)
        locked.number = next_number(SequenceKind.INVOICE, day)
        locked.issue_date = day
        locked.due_date = due
        locked.payment_terms = terms[:100]
        locked.payment_days = days
        locked.total_group = total_group
        settle(locked, on=day)
        locked.updated_at = timezone.now()
        locked.save()
        order.invoiced_amount += locked.total
        order.updated_at = locked.updated_at
        order.save(update_fields=["invoiced_amount", "updated_at"])
        integration.publish(
            EventKind.INVOICE_ISSUED,
            business_unit=access.business_unit,
            record_type="Invoice",
            record_id=locked.pk,
            idempotency_key=f"{access.business_unit.handle}:invoice.issued:{locked.number}",
            data=invoice_data(locked, order),
        )
    return locked


def invoice_data(invoice: Invoice, order: Order) -> dict[str, object]:
    return {
        "number": invoice.number,
        "order": order.number,
        "account": invoice.account.local_code,
        "customer_id": invoice.account.customer_id,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": invoice.currency,
        "net_total": money_text(invoice.net_total, invoice.currency),
        "tax_total": money_text(invoice.tax_total, invoice.currency),
        "total": money_text(invoice.total, invoice.currency),
        "taxes": [
            {
                "tax_code": part.code,
                "tax_rate": format(part.rate, "f"),
                "net": money_text(part.net, invoice.currency),
                "tax": money_text(part.tax, invoice.currency),
            }
            for part in taxes.by_rate(invoice.lines.all())
        ],
        "group_currency": invoice.group_currency,
        "total_group": money_text(invoice.total_group or Decimal(0), invoice.group_currency),
        "fx_rate": str(invoice.fx_rate),
        "fx_rate_date": invoice.fx_rate_date.isoformat() if invoice.fx_rate_date else None,
    }


def invoice_cancel(access: Access, invoice: Invoice) -> Invoice:
    """Cancel a draft, or an issued invoice nothing settled yet (it keeps its number; its
    quantities go back to the order). Paid or credited invoices are corrected by credit notes."""
    with transaction.atomic():
        locked = locked_invoice(access, invoice.pk)
        if locked.status == InvoiceStatus.CANCELLED:
            raise _closed(locked)
        access.require(Action.RETREAT, locked)
        if locked.paid_amount or locked.credited_amount:
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                object=OBJECT,
                stage=InvoiceStatus(locked.status).label,
                direction="to cancelled (it was paid or credited in part: issue a credit note)",
            )
        order = Order.objects.select_for_update().get(pk=locked.order_id)
        lines = list(locked.lines.select_related("order_line"))
        order_lines = {
            line.pk: line
            for line in OrderLine.objects.select_for_update().filter(
                pk__in=[entry.order_line_id for entry in lines]
            )
        }
        for entry in lines:
            order_lines[entry.order_line_id].invoiced_quantity -= entry.quantity
        OrderLine.objects.bulk_update(list(order_lines.values()), ["invoiced_quantity"])
        if locked.status != InvoiceStatus.DRAFT:
            order.invoiced_amount -= locked.total
            order.save(update_fields=["invoiced_amount"])
            locked.cancelled_on = locked.closed_on = access.business_unit.today()
        locked.status = InvoiceStatus.CANCELLED
        locked.open_amount = Decimal(0)
        locked.open_amount_group = Decimal(0)
        locked.updated_at = timezone.now()
        locked.save()
    return locked


# -- credit notes ---------------------------------------------------------------------------


def credit_note_create(
    access: Access,
    *,
    invoice: Invoice | int,
    amount: Decimal | str,
    reason: str,
    issue_date: datetime.date | None = None,
) -> CreditNote:
    """A credit note on an issued invoice, reducing its open amount by the gross `amount` (in
    the invoice's currency, at most the open amount: else CREDIT_NOTE_EXCEEDS_INVOICE), with
    the invoice's tax in proportion, per rate."""
    access.require(Action.CREATE, CREDIT_NOTE, ["invoice", "amount", "reason"])
    text = (reason or "").strip()
    if not text or len(text) > 500:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="reason", reason="1 to 500 characters")
    with transaction.atomic():
        pk = invoice.pk if isinstance(invoice, Invoice) else invoice
        locked = locked_invoice(access, pk, field="invoice")
        if locked.status == InvoiceStatus.CANCELLED:
            raise CrmError(
                ErrorCode.RECORD_CLOSED, field="invoice", object=OBJECT, status="cancelled"
            )
        if locked.status == InvoiceStatus.DRAFT:
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                field="invoice",
                object=OBJECT,
                stage=InvoiceStatus.DRAFT.label,
                direction="to credited (issue it first)",
            )
        value = money_amount(amount, locked.currency, field="amount")
        if value > locked.open_amount:
            raise CrmError(
                ErrorCode.CREDIT_NOTE_EXCEEDS_INVOICE,
                field="amount",
                invoice=locked.number,
                available=round_money(Money(locked.open_amount, locked.currency)),
            )
        day = business_date(access, issue_date, field="issueDate", not_before=locked.issue_date)
        rate = group_rate(access.business_unit, locked.currency, day)
        parts = taxes.credited_parts(locked, value)
        note = CreditNote(
            number=next_number(SequenceKind.CREDIT_NOTE, day),
            invoice=locked,
            account=locked.account,
            owner_id=locked.owner_id,
            issue_date=day,
            reason=text,
            amount=value,
            net_amount=sum((part.net for part in parts), Decimal(0)),
            tax_amount=sum((part.tax for part in parts), Decimal(0)),
            amount_group=rate.convert(value),
        )
        apply_rate(note, rate)
        note.save()
        CreditNoteTax.objects.bulk_create(
            CreditNoteTax(
                credit_note=note,
                tax_code=part.code,
                tax_rate=part.rate,
                net_amount=part.net,
                tax_amount=part.tax,
            )
            for part in parts
        )
        locked.credited_amount += value
        settle(locked, on=day)
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*SETTLED_FIELDS, "updated_at"])
    return note
