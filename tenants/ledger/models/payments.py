"""Payments received and their allocations to invoices.

A payment is recorded once with its full amount; allocations then settle invoices of the payer
in the payment's currency, partly or in full, several invoices per payment. What is not
allocated stays on the payment (`unallocated_amount`) as the customer's credit: it is never
lost, and can be allocated to a later invoice. An allocation is dated (`allocated_on`) so the
receivables at an earlier date can be told from what was settled after it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from crm.platform.core.money import amount_field
from crm.platform.core.placement import tenant_model
from crm.tenants.ledger.models.common import Converted
from crm.tenants.ledger.models.invoices import Invoice


@tenant_model(personal_data=True)
class Payment(Converted):
    number = models.CharField(max_length=40, unique=True)
    payer = models.ForeignKey(
        "localcustomers.LocalCustomer", on_delete=models.PROTECT, related_name="payments"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_on = models.DateField()
    # The bank's or the payer's reference (e.g. the statement line's text): personal data (the
    # payer's name), kept as an accounting record (crm.tenants.personaldata.documents).
    reference = models.CharField(max_length=200, blank=True, default="")
    # The sender's id of a payment reported by an integration (bank import): unique when given.
    external_reference = models.CharField(max_length=100, blank=True, default="")
    amount = amount_field()
    amount_group = amount_field()
    allocated_amount = amount_field(default=0)
    unallocated_amount = amount_field()
    # The latest allocation's date so far, and the day it was allocated in full (that date).
    last_allocated_on = models.DateField(null=True, blank=True)
    allocated_in_full_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="ledger_payment_amount"),
            models.CheckConstraint(
                condition=models.Q(
                    unallocated_amount__gte=0,
                    unallocated_amount=models.F("amount") - models.F("allocated_amount"),
                ),
                name="ledger_payment_never_over_allocated",
            ),
            models.UniqueConstraint(
                fields=["external_reference"],
                condition=~models.Q(external_reference=""),
                name="ledger_payment_external_reference",
            ),
        ]
        indexes = [
            # A payer's payments by date, with their group amount: the RFM segments' monetary
            # value (crm.tenants.insights.rfm) sums them from the index alone.
            models.Index(
                fields=["payer", "received_on"],
                name="ledger_payment_payer",
                include=["amount_group"],
            ),
            models.Index(fields=["-received_on", "id"], name="ledger_payment_newest"),
            # Unapplied cash per payer (the customer's credit), for the aging and exposure.
            models.Index(
                fields=["payer", "currency"],
                name="ledger_payment_unapplied",
                include=["id", "received_on", "unallocated_amount", "fx_rate"],
                condition=models.Q(unallocated_amount__gt=0),
            ),
            # ... and, at an earlier date, the payments allocated in full since.
            models.Index(
                fields=["allocated_in_full_on"],
                name="ledger_payment_allocated",
                condition=models.Q(allocated_in_full_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number


@tenant_model(personal_data=False)
class Allocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = amount_field()
    # The amount in the group currency at the payment's rate (what the cash was worth).
    amount_group = amount_field()
    allocated_on = models.DateField()
    allocated_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["payment", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="ledger_allocation_positive"
            ),
        ]
        indexes = [
            # The aging at an earlier date adds back what was allocated after it.
            models.Index(
                fields=["allocated_on"],
                name="ledger_allocation_date",
                include=["invoice", "payment", "amount"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} -> {self.invoice_id}: {self.amount}"
