"""Group master data in the shared schema, every row scoped to its group.

HQ governs these; business units read them in their own language and currency.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pghistory
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from moneyed import Money
from psycopg.types.range import Range

from crm.platform.core.money import CurrencyCodeField, amount_field
from crm.platform.core.placement import shared_model

if TYPE_CHECKING:
    from crm.tenants.models import BusinessUnit


class UnitOfMeasure(models.TextChoices):
    PIECE = "PCS", _("piece")
    SET = "SET", _("set")
    KILOGRAM = "KG", _("kilogram")
    METRE = "M", _("metre")
    SQUARE_METRE = "M2", _("square metre")
    LITRE = "L", _("litre")
    HOUR = "H", _("hour")


class MaterialStatus(models.TextChoices):
    DRAFT = "DRAFT", _("draft")
    ACTIVE = "ACTIVE", _("active")
    PHASED_OUT = "PHASED_OUT", _("phased out")
    OBSOLETE = "OBSOLETE", _("obsolete")


def history() -> tuple[pghistory.RowEvent, ...]:
    """Fresh trackers for one model (a tracker belongs to the model it is bound to)."""
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


@shared_model(personal_data=False)
class MaterialCategory(models.Model):  # history: translation.py
    """A node of the group's material tree (e.g. Displays > Automotive); names translated."""

    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["group", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="category_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


@shared_model(personal_data=False)
class Material(models.Model):  # history: translation.py
    """One material under one group-wide code; name and description are translated."""

    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="materials")
    code = models.CharField(max_length=40)
    unit = models.CharField(max_length=4, choices=UnitOfMeasure.choices)
    status = models.CharField(
        max_length=12, choices=MaterialStatus.choices, default=MaterialStatus.ACTIVE
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    category = models.ForeignKey(
        MaterialCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="materials"
    )
    # In the group currency; an input of margins, hidden from most roles by the default policy.
    standard_cost = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["group", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="material_code_unique_in_group"),
            models.CheckConstraint(
                name="standard_cost_not_negative",
                condition=Q(standard_cost__isnull=True) | Q(standard_cost__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class PriceListStatus(models.TextChoices):
    """A list is prepared as a draft, is live once activated, and is retired at the end."""

    DRAFT = "DRAFT", _("draft")
    ACTIVE = "ACTIVE", _("active")
    RETIRED = "RETIRED", _("retired")


@shared_model(personal_data=False)
@pghistory.track(*history())
class MaterialLocalCode(models.Model):
    """A business unit's own code for a group material (e.g. from its ERP); unique in the BU."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="local_codes")
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit", on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(max_length=40)

    class Meta:
        ordering = ["business_unit", "code"]
        constraints = [
            models.UniqueConstraint(fields=["business_unit", "code"], name="local_code_unique"),
            models.UniqueConstraint(
                fields=["business_unit", "material"], name="one_local_code_per_bu"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business_unit_id}:{self.code}"


class PriceScope(models.TextChoices):
    GROUP = "GROUP", _("whole group")
    REGION = "REGION", _("one region")
    BUSINESS_UNIT = "BU", _("one business unit")


@shared_model(personal_data=False)
class PriceList(models.Model):  # history: translation.py
    """An HQ price list: one currency, one scope, one validity window."""

    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="price_lists")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    currency = CurrencyCodeField()
    scope = models.CharField(max_length=6, choices=PriceScope.choices)
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text=_("Inclusive; empty is open."))
    status = models.CharField(
        max_length=8, choices=PriceListStatus.choices, default=PriceListStatus.DRAFT
    )

    class Meta:
        ordering = ["group", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="price_list_code_unique"),
            models.CheckConstraint(
                name="price_list_scope_target",
                condition=(
                    Q(scope="GROUP", region__isnull=True, business_unit__isnull=True)
                    | Q(scope="REGION", region__isnull=False, business_unit__isnull=True)
                    | Q(scope="BU", region__isnull=True, business_unit__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="price_list_window_ordered",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saving a list re-copies its scope, window and status to its items, in the same
        transaction, so the database checks overlaps whenever any of them changes."""
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.items.update(**self.item_columns())

    @staticmethod
    def applying_to(business_unit: BusinessUnit) -> Q:
        """Lists whose scope covers the BU: the group's, its region's and its own."""
        return (
            Q(scope=PriceScope.GROUP)
            | Q(scope=PriceScope.REGION, region_id=business_unit.region_id)
            | Q(scope=PriceScope.BUSINESS_UNIT, business_unit_id=business_unit.pk)
        )

    def applies_to(self, business_unit: BusinessUnit) -> bool:
        return (
            self.scope == PriceScope.GROUP
            or (self.scope == PriceScope.REGION and self.region_id == business_unit.region_id)
            or (
                self.scope == PriceScope.BUSINESS_UNIT and self.business_unit_id == business_unit.pk
            )
        )

    @property
    def scope_key(self) -> str:
        if self.scope == PriceScope.REGION:
            return f"REGION:{self.region_id}"
        if self.scope == PriceScope.BUSINESS_UNIT:
            return f"BU:{self.business_unit_id}"
        return "GROUP"

    def item_columns(self) -> dict[str, Any]:
        """What each item copies from its list for the overlap constraint."""
        return {
            "group_id": self.group_id,
            "scope_key": self.scope_key,
            "currency": self.currency,
            "window": Range(self.valid_from, self.valid_to, "[]"),
            "live": self.status == PriceListStatus.ACTIVE,
        }

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@shared_model(personal_data=False)
@pghistory.track(
    *history(), fields=["price_list", "material", "amount"], model_name="PriceListItemEvent"
)
class PriceListItem(models.Model):
    """The price of one material on one list, in the list's currency.

    The list's scope, currency, window and liveness are copied here (kept in step by
    `PriceList.save`) so that PostgreSQL itself refuses two live prices of one material for the
    same scope and currency on overlapping days: an exclusion constraint on the date range.
    """

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="price_items")
    amount = amount_field()
    # Copied from the list, for the exclusion constraint.
    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="+")
    scope_key = models.CharField(max_length=40, editable=False)
    currency = CurrencyCodeField(editable=False)
    window = DateRangeField(editable=False)
    live = models.BooleanField(editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["price_list", "material"], name="one_price_per_list"),
            models.CheckConstraint(name="price_not_negative", condition=Q(amount__gte=0)),
            ExclusionConstraint(
                name="price_windows_do_not_overlap",
                expressions=[
                    ("group", RangeOperators.EQUAL),
                    ("scope_key", RangeOperators.EQUAL),
                    ("currency", RangeOperators.EQUAL),
                    ("material", RangeOperators.EQUAL),
                    ("window", RangeOperators.OVERLAPS),
                ],
                condition=Q(live=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}/{self.material_id}: {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.copy_list(self.price_list)
        super().save(*args, **kwargs)

    def copy_list(self, price_list: PriceList) -> None:
        for field, value in price_list.item_columns().items():
            setattr(self, field, value)

    @property
    def price(self) -> Money:
        return Money(self.amount, self.price_list.currency)


@shared_model(personal_data=False)
@pghistory.track(*history())
class PriceBreak(models.Model):
    """From `min_quantity` on, a material costs `amount` on the item's list (volume pricing)."""

    item = models.ForeignKey(PriceListItem, on_delete=models.CASCADE, related_name="breaks")
    min_quantity = models.DecimalField(max_digits=19, decimal_places=4)
    amount = amount_field()

    class Meta:
        ordering = ["item", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["item", "min_quantity"], name="one_break_per_quantity"),
            models.CheckConstraint(name="break_above_one", condition=Q(min_quantity__gt=1)),
            models.CheckConstraint(name="break_not_negative", condition=Q(amount__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} from {self.min_quantity}: {self.amount}"


@shared_model(personal_data=False)
@pghistory.track(*history())
class SalesPolicy(models.Model):
    """How far people of one role in one BU may discount without an approval, in percent."""

    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="+")
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit", on_delete=models.CASCADE, related_name="+"
    )
    role = models.ForeignKey("accounts.Role", on_delete=models.CASCADE, related_name="+")
    max_discount = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["business_unit", "role"]
        constraints = [
            models.UniqueConstraint(fields=["business_unit", "role"], name="one_policy_per_role"),
            models.CheckConstraint(
                name="discount_is_a_percentage",
                condition=Q(max_discount__gte=0) & Q(max_discount__lte=100),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business_unit_id}/{self.role_id}: {self.max_discount}%"


class RateType(models.TextChoices):
    SPOT = "SPOT", _("spot")
    MONTH_AVERAGE = "MONTH_AVG", _("month average")
    BUDGET = "BUDGET", _("budget")


@shared_model(personal_data=False)
@pghistory.track(*history())
class ExchangeRate(models.Model):
    """1 unit of `base` is worth `rate` units of `quote` on `date`, for one group and rate type."""

    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="fx_rates")
    base = CurrencyCodeField()
    quote = CurrencyCodeField()
    rate_type = models.CharField(max_length=10, choices=RateType.choices, default=RateType.SPOT)
    date = models.DateField()
    rate = models.DecimalField(max_digits=24, decimal_places=10)
    source = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["group", "base", "quote", "rate_type", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "base", "quote", "rate_type", "date"], name="one_rate_per_day"
            ),
            models.CheckConstraint(name="rate_positive", condition=Q(rate__gt=Decimal(0))),
            models.CheckConstraint(
                name="rate_distinct_currencies", condition=~Q(base=models.F("quote"))
            ),
        ]
        indexes = [models.Index(fields=["group", "base", "quote", "rate_type", "date"])]

    def __str__(self) -> str:
        return f"{self.base}/{self.quote} {self.rate_type} {self.date}: {self.rate}"
