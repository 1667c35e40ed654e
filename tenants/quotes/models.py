"""Quotes of a business unit: the offer made from a deal, its priced lines, the tax rates it
uses (data, per BU, with validity) and the trail of its discount approvals.

Amounts are in the quote's currency (the BU's functional currency, in which the price
resolution answers); every stored line amount is already rounded to that currency's minor
units, and the quote's totals are the sums of its lines (see `crm.tenants.quotes.pricing`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from moneyed import Money

from crm.platform.core.money import CurrencyCodeField, amount_field
from crm.platform.core.placement import tenant_model


def percent(**kwargs: object) -> models.DecimalField[Decimal, Decimal]:
    """A percentage with up to 3 decimal places (discounts, tax rates)."""
    return models.DecimalField(max_digits=7, decimal_places=3, **kwargs)  # type: ignore[arg-type]


@tenant_model(personal_data=False)
class TaxRate(models.Model):
    """A tax rate of the BU, valid over a window of days.

    A line takes the rate whose code it names; else the rate for its material's category (or
    the nearest parent category that has one); else the BU's default rate; each valid on the
    quote date. A rate that changes (19 % to 16 % and back) is a new row with the same code
    and the next window.
    """

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    rate = percent()
    material_category_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("Golden material category; empty for any.")
    )
    is_default = models.BooleanField(default=False)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text=_("Inclusive; empty is open."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="tax_rate_code_from"),
            models.CheckConstraint(
                name="tax_rate_percentage", condition=Q(rate__gte=0) & Q(rate__lte=100)
            ),
            models.CheckConstraint(
                name="tax_rate_window_ordered",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.rate}% from {self.valid_from}"


class QuoteStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    AWAITING_APPROVAL = "AWAITING_APPROVAL", _("Awaiting approval")
    SENT = "SENT", _("Sent")
    ACCEPTED = "ACCEPTED", _("Accepted")
    REJECTED = "REJECTED", _("Rejected")
    EXPIRED = "EXPIRED", _("Expired")


QUOTE_STAGES = tuple(QuoteStatus.values)


@tenant_model(personal_data=True)
class Quote(models.Model):
    """One version of a quote. Versions share `number`; only the current one can change."""

    number = models.CharField(max_length=20)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    opportunity = models.ForeignKey(
        "opportunities.Opportunity", on_delete=models.PROTECT, related_name="quotes"
    )
    account = models.ForeignKey(
        "localcustomers.LocalCustomer", on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    currency = CurrencyCodeField()
    # The customer's language: the printed document's labels, names and number formats.
    language = models.CharField(max_length=10)
    quote_date = models.DateField(help_text=_("Prices, rates and taxes are those of this day."))
    valid_until = models.DateField()
    header_discount = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    net_amount = amount_field(default=Decimal(0))
    tax_amount = amount_field(default=Decimal(0))
    gross_amount = amount_field(default=Decimal(0))
    # Standard cost in the quote's currency and net minus it; null when a line has no cost.
    cost_amount = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)
    margin_amount = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)
    # The highest effective discount of any line (line and quote discount together), in %.
    max_discount = percent(default=Decimal(0))
    # The discount cleared for sending: by an approval, or by the sender's own limit.
    approved_discount = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    cleared_discount = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    # Free texts: personal data where they name people (crm.tenants.personaldata.documents).
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="quote_number_version"),
            models.UniqueConstraint(
                fields=["number"], condition=Q(is_current=True), name="one_current_quote_version"
            ),
            models.CheckConstraint(
                name="quote_header_discount",
                condition=Q(header_discount__gte=0) & Q(header_discount__lt=100),
            ),
        ]
        indexes = [
            models.Index(fields=["opportunity", "is_current"], name="quote_opportunity"),
            models.Index(fields=["status", "valid_until"], name="quote_status_validity"),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"

    @property
    def net(self) -> Money:
        return Money(self.net_amount, self.currency)

    @property
    def tax(self) -> Money:
        return Money(self.tax_amount, self.currency)

    @property
    def gross(self) -> Money:
        return Money(self.gross_amount, self.currency)


@tenant_model(personal_data=False)
class QuoteLine(models.Model):
    """A priced line: the unit price the price resolution gave on the quote date (with the
    list and conversion it came from), the discount, the tax and the amounts, each rounded."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    material_id = models.BigIntegerField(help_text=_("Golden material (shared schema) id."))
    material_code = models.CharField(max_length=40)
    unit = models.CharField(max_length=4)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    unit_price = amount_field()
    price_list_code = models.CharField(max_length=40)
    # As written on the price list, and the conversion when it was in another currency.
    source_amount = amount_field()
    source_currency = CurrencyCodeField()
    fx_rate = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)
    fx_rate_date = models.DateField(null=True, blank=True)
    fx_rate_type = models.CharField(max_length=10, blank=True, default="")
    break_from = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)
    discount = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    effective_discount = percent(default=Decimal(0))
    list_amount = amount_field()
    net_amount = amount_field()
    tax_code = models.SlugField(max_length=40)
    tax_rate = percent()
    tax_amount = amount_field()
    gross_amount = amount_field()
    unit_cost = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)
    cost_amount = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)
    margin_amount = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["quote", "position"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="quote_line_position"),
            models.CheckConstraint(
                name="quote_line_discount", condition=Q(discount__gte=0) & Q(discount__lt=100)
            ),
            models.CheckConstraint(name="quote_line_quantity", condition=Q(quantity__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.quote_id}/{self.position}: {self.material_code}"


@tenant_model(personal_data=True)
class QuoteApproval(models.Model):
    """The trail of a quote's discount approvals: asked, approved up to a discount, declined."""

    class Kind(models.TextChoices):
        REQUESTED = "REQUESTED", _("Approval requested")
        APPROVED = "APPROVED", _("Discount approved")
        DECLINED = "DECLINED", _("Discount declined")

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    discount = percent()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.CharField(max_length=200)
    comment = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["quote", "at", "id"]

    def __str__(self) -> str:
        return f"{self.quote_id}:{self.kind}:{self.discount}"
