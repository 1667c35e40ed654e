"""Invoices against orders, their lines, credit notes, and the BU's gapless number sequences.

An invoice is made as a draft against one order (its lines take quantities of the order's
lines, with their tax), and gets its number, issue date, due date and conversion when it is
issued. `total` is the gross (`net_total + tax_total`), what receivables and payments count in.
Its open amount is `total - credited - paid`: what credit notes and allocated payments took from it,
kept on the row (with the same in the group currency, at the invoice's own rate) so that the
receivables aging reads open invoices from one partial index. Status follows the open amount:
ISSUED (nothing settled), PARTIALLY_PAID, PAID (settled: paid, credited or both). A credit note
credits a gross amount; the tax in it is the invoice's, in proportion, per rate (`CreditNoteTax`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.money import amount_field
from crm.platform.core.placement import tenant_model
from crm.tenants.ledger.models.common import Converted, Taxed, quantity_field, tax_rate_field
from crm.tenants.ledger.models.orders import Order, OrderLine


class InvoiceStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    ISSUED = "ISSUED", _("Issued")
    PARTIALLY_PAID = "PARTIALLY_PAID", _("Partially paid")
    PAID = "PAID", _("Paid")
    CANCELLED = "CANCELLED", _("Cancelled")


# The statuses of an invoice with an open amount (the aging's partial index).
OPEN_INVOICE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


@tenant_model(personal_data=True)
class Invoice(Converted):
    # Given at issue: drafts have none (the sequence has no gaps, drafts may be dropped).
    number = models.CharField(max_length=40, null=True, blank=True, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    account = models.ForeignKey(
        "localcustomers.LocalCustomer", on_delete=models.PROTECT, related_name="invoices"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    notes = models.TextField(blank=True, default="")
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    # The account's payment terms when issued, and the days they gave.
    payment_terms = models.CharField(max_length=100, blank=True, default="")
    payment_days = models.PositiveIntegerField(null=True, blank=True)
    net_total = amount_field(default=0)
    tax_total = amount_field(default=0)
    total = amount_field(help_text="Gross: net + tax.")
    total_group = amount_field(null=True, blank=True)
    credited_amount = amount_field(default=0)
    paid_amount = amount_field(default=0)
    open_amount = amount_field(default=0)
    open_amount_group = amount_field(default=0)
    cancelled_on = models.DateField(null=True, blank=True)
    # The latest date of a settlement (allocation, credit note) so far, and the day an issued
    # invoice stopped being open (settled in full: that latest date; cancelled: that day).
    last_settled_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    open_amount__gte=0,
                    open_amount=models.F("total")
                    - models.F("credited_amount")
                    - models.F("paid_amount"),
                )
                | models.Q(status__in=["DRAFT", "CANCELLED"]),
                name="ledger_invoice_open_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(status="DRAFT")
                | models.Q(number__isnull=False, issue_date__isnull=False, due_date__isnull=False),
                name="ledger_invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["ISSUED", "PARTIALLY_PAID", "DRAFT"], closed_on=None)
                | models.Q(status="PAID", closed_on__isnull=False)
                | models.Q(status="CANCELLED"),
                name="ledger_invoice_closed_when_settled",
            ),
            models.CheckConstraint(
                condition=models.Q(total=models.F("net_total") + models.F("tax_total")),
                name="ledger_invoice_gross",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "issue_date"], name="ledger_invoice_account"),
            models.Index(fields=["owner", "status"], name="ledger_invoice_owner"),
            models.Index(fields=["status", "due_date"], name="ledger_invoice_due"),
            models.Index(fields=["-created_at", "id"], name="ledger_invoice_newest"),
            # The receivables aging: open invoices only, in the order it groups them, with
            # everything it reads (an index-only scan).
            models.Index(
                fields=["account", "currency", "due_date"],
                name="ledger_invoice_open",
                include=["id", "issue_date", "open_amount", "open_amount_group", "fx_rate"],
                condition=models.Q(status__in=["ISSUED", "PARTIALLY_PAID"]),
            ),
            # ... and, at an earlier date, the invoices closed since (they were open then).
            models.Index(
                fields=["closed_on"],
                name="ledger_invoice_closed",
                condition=models.Q(closed_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"draft {self.pk}"


@tenant_model(personal_data=False)
class InvoiceLine(Taxed):
    """A quantity of an order line invoiced: `amount` is net, at the order line's tax rate."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    quantity = quantity_field()
    unit_price = amount_field()
    amount = amount_field()
    amount_group = amount_field(null=True, blank=True)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="ledger_invoice_line_pos"),
            models.UniqueConstraint(
                fields=["invoice", "order_line"], name="ledger_invoice_line_once"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="ledger_invoice_line_qty"
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0, tax_rate__lte=100, tax_amount__gte=0),
                name="ledger_invoice_line_tax",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.position}"


class CreditNoteStatus(models.TextChoices):
    ISSUED = "ISSUED", _("Issued")


@tenant_model(personal_data=True)
class CreditNote(Converted):
    """An amount credited on an issued invoice: reduces its open amount, never below zero."""

    number = models.CharField(max_length=40, unique=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    account = models.ForeignKey(
        "localcustomers.LocalCustomer", on_delete=models.PROTECT, related_name="credit_notes"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=CreditNoteStatus.choices, default=CreditNoteStatus.ISSUED
    )
    issue_date = models.DateField()
    reason = models.CharField(max_length=500)
    amount = amount_field(help_text="Gross: net + tax.")
    net_amount = amount_field(default=0)
    tax_amount = amount_field(default=0)
    amount_group = amount_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="ledger_credit_positive"),
            models.CheckConstraint(
                condition=models.Q(amount=models.F("net_amount") + models.F("tax_amount")),
                name="ledger_credit_gross",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "issue_date"], name="ledger_credit_account"),
            # The aging at an earlier date adds back what was credited after it.
            models.Index(
                fields=["issue_date"], name="ledger_credit_date", include=["invoice", "amount"]
            ),
        ]

    def __str__(self) -> str:
        return self.number


@tenant_model(personal_data=False)
class CreditNoteTax(models.Model):
    """The part of a credit note at one tax rate of its invoice: net and tax credited."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="taxes")
    tax_code = models.CharField(max_length=40, blank=True, default="")
    tax_rate = tax_rate_field()
    net_amount = amount_field()
    tax_amount = amount_field()

    class Meta:
        ordering = ["credit_note", "-tax_rate", "tax_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_note", "tax_code", "tax_rate"], name="ledger_credit_tax_once"
            ),
            models.CheckConstraint(
                condition=models.Q(net_amount__gte=0, tax_amount__gte=0),
                name="ledger_credit_tax_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credit_note_id}: {self.tax_rate}%"


class SequenceKind(models.TextChoices):
    ORDER = "SO", _("Sales order")
    INVOICE = "INV", _("Invoice")
    CREDIT_NOTE = "CN", _("Credit note")
    PAYMENT = "PAY", _("Payment")


@tenant_model(personal_data=False)
class DocumentSequence(models.Model):
    """The last number given per kind of document and year, in this BU: numbers are taken
    under a row lock inside the document's own transaction, so a rolled-back document gives
    its number back and the series has no gaps."""

    kind = models.CharField(max_length=4, choices=SequenceKind.choices)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["kind", "year"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="ledger_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}-{self.year}: {self.last_number}"
