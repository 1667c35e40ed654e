"""Money rules in one place: ISO-4217 currencies, minor units and the one rounding rule.

Amounts are `Decimal` with a currency (py-moneyed's `Money`); no float is ever involved.
Rounding rule: an amount shown or stored as final is rounded to its currency's ISO-4217 minor
units with ROUND_HALF_UP (commercial rounding: 0.5 goes away from zero), e.g. EUR to cents,
JPY to whole yen, KWD to fils. Intermediate results (rates, unit prices) keep full precision.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import moneyed
from django.core.exceptions import ValidationError
from django.db import models
from moneyed import Money

from crm.platform.core.errors import CrmError, ErrorCode

# Amounts are stored with 19 digits, 4 of them after the point: wide enough for every minor
# unit in use (at most 4, CLF) and for unit prices below a currency's minor unit.
AMOUNT_DIGITS = 19
AMOUNT_DECIMALS = 4


def currency(code: str, *, field: str = "currency") -> moneyed.Currency:
    """The currency with this ISO-4217 code, or a typed UNKNOWN_CURRENCY error."""
    normalized = (code or "").strip().upper()
    try:
        return moneyed.get_currency(normalized)
    except moneyed.CurrencyDoesNotExist:
        raise CrmError(ErrorCode.UNKNOWN_CURRENCY, field=field, currency=code) from None


def minor_unit_exponent(code: str) -> int:
    sub_unit = currency(code).sub_unit
    return len(str(sub_unit)) - 1


def round_money(money: Money) -> Money:
    """`money` rounded to its currency's minor units with the project's one rule."""
    exponent = minor_unit_exponent(money.currency.code)
    quantum = Decimal(1).scaleb(-exponent)
    return Money(money.amount.quantize(quantum, rounding=ROUND_HALF_UP), money.currency)


def validate_currency_code(value: str) -> None:
    try:
        currency(value)
    except CrmError as error:
        raise ValidationError(error.message, code=error.code.value) from None


class CurrencyCodeField(models.CharField[str, str]):
    """An ISO-4217 code, validated against the currencies py-moneyed knows."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("validators", [validate_currency_code])
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def amount_field(**kwargs: object) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_DECIMALS,
        **kwargs,  # type: ignore[arg-type]
    )


MAX_AMOUNT = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_DECIMALS)


def valid_amount(value: Decimal) -> bool:
    """A stored amount: finite, from 0 below 10^15, at most 4 decimal places."""
    return value.is_finite() and 0 <= value < MAX_AMOUNT and int(value.as_tuple().exponent) >= -4


AMOUNT_RULE = "a number from 0 below 10^15, at most 4 decimal places"
