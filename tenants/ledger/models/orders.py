"""Sales orders: their lines of materials, and the deliveries recorded against each line.

An order comes from a signed contract (`contract_id`, `contract_number`) or straight from an
integration such as the ERP (`external_reference`, unique, so the same order sent twice is
recorded once). It is confirmed before it is delivered or invoiced; confirming is where credit
control checks the customer's exposure. Lines are delivered in parts; the order's status follows
its deliveries. Each line carries its tax (code, rate, amount: `Taxed`); the order's `net_total`
and `tax_total` are the sums of its lines' and `total` is the gross, net + tax, what the
customer owes. `invoiced_amount` is the gross that issued invoices took from it, so the still
open order value (credit exposure) is `total - invoiced_amount` of confirmed orders that are
not cancelled.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.money import amount_field
from crm.platform.core.placement import tenant_model
from crm.tenants.ledger.models.common import Converted, Taxed, quantity_field


class OrderStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED", _("Partially delivered")
    DELIVERED = "DELIVERED", _("Delivered")
    CANCELLED = "CANCELLED", _("Cancelled")


class InvoiceBasis(models.TextChoices):
    """What an order's lines may be invoiced up to."""

    DELIVERED = "DELIVERED", _("Delivered quantity")
    ORDERED = "ORDERED", _("Ordered quantity (invoiced in advance)")


@tenant_model(personal_data=True)
class Order(Converted):
    number = models.CharField(max_length=40, unique=True)
    account = models.ForeignKey(
        "localcustomers.LocalCustomer", on_delete=models.PROTECT, related_name="orders"
    )
    # The contract it comes from (tenant app `contracts`, integrated later), by id and number.
    contract_id = models.BigIntegerField(null=True, blank=True)
    contract_number = models.CharField(max_length=40, blank=True, default="")
    # The sender's id of an order created by an integration (ERP): unique when given.
    external_reference = models.CharField(max_length=100, blank=True, default="")
    # The customer's reference ("PO 4711, z. Hd. Frau Weber") and notes: personal data where
    # they name people (crm.tenants.personaldata.documents).
    customer_reference = models.CharField(max_length=100, blank=True, default="")
    notes = models.TextField(blank=True, default="")
    # The salesperson responsible (the account's sales owner by default).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    invoice_basis = models.CharField(
        max_length=10, choices=InvoiceBasis.choices, default=InvoiceBasis.DELIVERED
    )
    order_date = models.DateField()
    confirmed = models.BooleanField(default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.CharField(max_length=200, blank=True, default="")
    net_total = amount_field(default=0)
    tax_total = amount_field(default=0)
    total = amount_field(help_text="Gross: net + tax.")
    total_group = amount_field()
    invoiced_amount = amount_field(default=0)
    cancelled_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-order_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_reference"],
                condition=~models.Q(external_reference=""),
                name="ledger_order_external_reference",
            ),
            models.CheckConstraint(
                condition=models.Q(invoiced_amount__gte=0, invoiced_amount__lte=models.F("total")),
                name="ledger_order_invoiced_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(total=models.F("net_total") + models.F("tax_total")),
                name="ledger_order_gross",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "order_date"], name="ledger_order_account"),
            models.Index(fields=["owner", "status"], name="ledger_order_owner"),
            models.Index(fields=["-order_date", "id"], name="ledger_order_newest"),
            models.Index(fields=["contract_id"], name="ledger_order_contract"),
            # Credit exposure: confirmed orders still open for invoicing, per account.
            models.Index(
                fields=["account"],
                name="ledger_order_open",
                include=["total", "invoiced_amount", "fx_rate", "order_date"],
                condition=models.Q(confirmed=True, invoiced_amount__lt=models.F("total"))
                & ~models.Q(status="CANCELLED"),
            ),
        ]

    def __str__(self) -> str:
        return self.number


@tenant_model(personal_data=False)
class OrderLine(Taxed):
    """A material ordered: `amount` is net (quantity × unit price, rounded), the tax is on it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    material_id = models.BigIntegerField(help_text="Golden material (shared schema) id.")
    # The material as ordered (its code and unit may change in the master later).
    material_code = models.CharField(max_length=40)
    unit = models.CharField(max_length=4)
    description = models.CharField(max_length=300, blank=True, default="")
    quantity = quantity_field()
    unit_price = amount_field()
    amount = amount_field()
    amount_group = amount_field()
    delivered_quantity = quantity_field(default=0)
    # Taken by invoices that are not cancelled (drafts too: a draft reserves what it bills).
    invoiced_quantity = quantity_field(default=0)

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="ledger_order_line_pos"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="ledger_line_qty"),
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0, tax_rate__lte=100, tax_amount__gte=0),
                name="ledger_line_tax",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    delivered_quantity__gte=0, delivered_quantity__lte=models.F("quantity")
                ),
                name="ledger_line_delivered_within_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    invoiced_quantity__gte=0, invoiced_quantity__lte=models.F("quantity")
                ),
                name="ledger_line_invoiced_within_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.position}"


@tenant_model(personal_data=False)
class Delivery(models.Model):
    """A quantity of one order line delivered on a date (several per line: partial deliveries)."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="deliveries")
    quantity = quantity_field()
    delivered_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True, default="")
    recorded_by = models.CharField(max_length=200, blank=True, default="")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["line", "delivered_on", "id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="ledger_delivery_qty"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.quantity}"
