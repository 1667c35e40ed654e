"""Amounts of ledger documents: checked in their currency, converted to the group currency.

Rule: a document's amounts are converted with the group's spot rate of its business date (the
latest rate on or before it, `crm.masterdata.fx.rate_for`), stored with 12 decimal places; a
converted amount is the amount times the stored rate, rounded once to the group currency's
minor units (`round_money`). A document's lines are converted the same way, and the rounding
difference between the converted total and the sum of the converted lines goes to the largest
line, so lines always add up to the total in both currencies. Without a rate for the date the
document is refused with RATE_NOT_FOUND: a figure in the group currency is never guessed.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from moneyed import Money

from crm.masterdata import fx
from crm.masterdata.models import RateType
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import MAX_AMOUNT, minor_unit_exponent, round_money
from crm.tenants.ledger.models import Converted
from crm.tenants.models import BusinessUnit

RATE_PLACES = Decimal("0.000000000001")


@dataclass(frozen=True)
class GroupRate:
    """The rate from a document's currency to the group currency for one business date."""

    currency: str
    group_currency: str
    day: datetime.date
    rate: Decimal
    rate_date: datetime.date
    rate_type: str

    def convert(self, amount: Decimal) -> Decimal:
        return round_money(Money(amount * self.rate, self.group_currency)).amount

    def split(self, total: Decimal, amounts: Sequence[Decimal]) -> tuple[Decimal, list[Decimal]]:
        """The converted total, and the converted amounts adding up to it exactly."""
        converted_total = self.convert(total)
        parts = [self.convert(amount) for amount in amounts]
        if parts:
            largest = max(range(len(parts)), key=lambda index: (amounts[index], -index))
            parts[largest] += converted_total - sum(parts, Decimal(0))
        return converted_total, parts


def group_rate(business_unit: BusinessUnit, currency: str, day: datetime.date) -> GroupRate:
    """The group's spot rate from `currency` on `day`, or RATE_NOT_FOUND."""
    group = business_unit.group
    found = fx.rate_for(group=group, base=currency, quote=group.currency, on=day)
    return GroupRate(
        currency=found.base,
        group_currency=found.quote,
        day=day,
        rate=found.rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP),
        rate_date=found.date,
        rate_type=RateType(found.rate_type).value,
    )


def apply_rate(record: Converted, rate: GroupRate) -> None:
    """Store the rate and its provenance on the document (no save)."""
    record.currency = rate.currency
    record.group_currency = rate.group_currency
    record.fx_date = rate.day
    record.fx_rate = rate.rate
    record.fx_rate_date = rate.rate_date
    record.fx_rate_type = rate.rate_type


def rate_of(record: Converted) -> GroupRate:
    """The rate a converted document carries (to convert later amounts the same way)."""
    if record.fx_rate is None or record.fx_date is None or record.fx_rate_date is None:
        raise ValueError(f"{record!r} has not been converted")
    return GroupRate(
        currency=record.currency,
        group_currency=record.group_currency,
        day=record.fx_date,
        rate=record.fx_rate,
        rate_date=record.fx_rate_date,
        rate_type=record.fx_rate_type,
    )


def money_amount(
    value: Decimal | str | int, currency: str, *, field: str, allow_zero: bool = False
) -> Decimal:
    """`value` as an amount of `currency`: finite, positive (or zero), below 10^15, and with no
    more decimal places than the currency's minor units (JPY: none, EUR: 2); INVALID_ARGUMENT
    otherwise."""
    places = minor_unit_exponent(currency)
    reason = f"a {'non-negative' if allow_zero else 'positive'} amount of {currency} below 10^15"
    reason += f" with at most {places} decimal places"
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=reason) from None
    if (
        not amount.is_finite()
        or amount < 0
        or (amount == 0 and not allow_zero)
        or amount >= MAX_AMOUNT
        or round_money(Money(amount, currency)).amount != amount
    ):
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=reason)
    return amount


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as integrations receive it: a plain decimal string at the minor units."""
    return format(round_money(Money(amount, currency)).amount, "f")
