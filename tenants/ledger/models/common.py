"""What every ledger document shares: its amounts in two currencies and the rate between them,
and the tax of its lines.

A document (order, invoice, credit note, payment) is in one transaction currency. Its amounts
are also kept in the group currency, converted at the group's spot rate of the document's
business date (the order date, the issue date, the date received): the rate used, its type and
its own date (the latest rate on or before the business date) are stored with the record, so a
figure in the group currency can always be traced back and recomputed. A draft invoice has no
business date yet: its conversion fields are empty until it is issued.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from crm.platform.core.money import CurrencyCodeField, amount_field

# Rates are kept with 12 decimal places; a converted amount is computed with the rate as stored
# (so anyone can recompute it from the record) and rounded once to the group currency.
RATE_DIGITS = 28
RATE_DECIMALS = 12
# Quantities: at most 3 decimal places (kilograms, metres), below 10^11.
QUANTITY_DIGITS = 14
QUANTITY_DECIMALS = 3


def quantity_field(**kwargs: object) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        max_digits=QUANTITY_DIGITS,
        decimal_places=QUANTITY_DECIMALS,
        **kwargs,  # type: ignore[arg-type]
    )


def tax_rate_field(**kwargs: object) -> models.DecimalField[Decimal, Decimal]:
    """A tax rate in % (0 to 100, 3 decimal places), as the BU's tax rates keep them."""
    return models.DecimalField(max_digits=7, decimal_places=3, **kwargs)  # type: ignore[arg-type]


class Taxed(models.Model):
    """Abstract: a line's tax, carried from the quote (or the BU's rates) to the order and on
    to its invoices: the rate's code, the rate, and the tax on the line's net amount rounded
    to the currency's minor units (`round(net × rate / 100)`, the quotes' rule)."""

    tax_code = models.CharField(max_length=40, blank=True, default="")
    tax_rate = tax_rate_field(default=Decimal(0))
    tax_amount = amount_field(default=Decimal(0))

    class Meta:
        abstract = True


class Converted(models.Model):
    """Abstract: the transaction currency, the group currency and the rate between them."""

    currency = CurrencyCodeField()
    group_currency = CurrencyCodeField()
    # The business date whose rate converts the amounts (null on a draft invoice).
    fx_date = models.DateField(null=True, blank=True)
    fx_rate = models.DecimalField(
        max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True
    )
    fx_rate_date = models.DateField(null=True, blank=True)
    fx_rate_type = models.CharField(max_length=10, blank=True, default="")

    class Meta:
        abstract = True
