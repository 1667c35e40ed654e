"""The business unit's price book: each material's price for a day, resolved and converted.

Refreshed by a tenant-aware Celery task whenever exchange rates or price lists change, so that
integrators (the BU's shop, its ERP) read a stable, explainable figure per material and day.
"""

from __future__ import annotations

from django.db import models
from moneyed import Money

from crm.platform.core.money import CurrencyCodeField, amount_field
from crm.platform.core.placement import tenant_model


@tenant_model(personal_data=False)
class PriceBookEntry(models.Model):
    material_id = models.BigIntegerField(help_text="Golden material (shared schema) id.")
    material_code = models.CharField(max_length=40)
    day = models.DateField()
    amount = amount_field()
    currency = CurrencyCodeField()
    price_list_code = models.CharField(max_length=40)
    source_amount = amount_field()
    source_currency = CurrencyCodeField()
    fx_rate = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)
    fx_rate_date = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["material_code"]
        constraints = [
            models.UniqueConstraint(fields=["material_id", "day"], name="one_entry_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.material_code} {self.day}: {self.amount} {self.currency}"

    @property
    def price(self) -> Money:
        return Money(self.amount, self.currency)
