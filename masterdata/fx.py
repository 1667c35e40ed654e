"""Exchange rates: dated, typed conversions and the CSV import.

A conversion always names its date and rate type, and reports the rate it used and that rate's
own date. Rates are looked up as the latest on or before the date (a spot rate of Friday serves
Saturday), within a maximum age per type; a direct pair, its inverse, or a cross rate through
the group currency, in that order.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from moneyed import Money

from crm.masterdata.models import ExchangeRate, RateType
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import currency
from crm.tenants.models import Group

MAX_RATE_AGE = {
    RateType.SPOT: datetime.timedelta(days=7),
    RateType.MONTH_AVERAGE: datetime.timedelta(days=62),
    RateType.BUDGET: datetime.timedelta(days=366),
}


@dataclass(frozen=True)
class Rate:
    base: str
    quote: str
    rate: Decimal
    date: datetime.date
    rate_type: str


@dataclass(frozen=True)
class Conversion:
    source: Money
    result: Money
    rate: Rate


def _stored_rate(
    group: Group, base: str, quote: str, on: datetime.date, rate_type: str
) -> Rate | None:
    oldest = on - MAX_RATE_AGE[RateType(rate_type)]
    found = (
        ExchangeRate.objects.filter(
            group=group,
            rate_type=rate_type,
            date__lte=on,
            date__gte=oldest,
            base__in=[base, quote],
            quote__in=[base, quote],
        )
        .order_by("-date")
        .values_list("base", "rate", "date")
        .first()
    )
    if found is None:
        return None
    stored_base, value, day = found
    if stored_base != base:
        value = Decimal(1) / value
    return Rate(base=base, quote=quote, rate=value, date=day, rate_type=rate_type)


def rate_for(
    *, group: Group, base: str, quote: str, on: datetime.date, rate_type: str = RateType.SPOT
) -> Rate:
    """The rate from `base` to `quote` on `on`, or a typed RATE_NOT_FOUND error."""
    base, quote = currency(base, field="base").code, currency(quote, field="quote").code
    if base == quote:
        return Rate(base=base, quote=quote, rate=Decimal(1), date=on, rate_type=rate_type)
    direct = _stored_rate(group, base, quote, on, rate_type)
    if direct is not None:
        return direct
    pivot = group.currency
    if pivot not in (base, quote):
        first = _stored_rate(group, base, pivot, on, rate_type)
        second = _stored_rate(group, pivot, quote, on, rate_type)
        if first is not None and second is not None:
            return Rate(
                base=base,
                quote=quote,
                rate=first.rate * second.rate,
                date=min(first.date, second.date),
                rate_type=rate_type,
            )
    raise CrmError(
        ErrorCode.RATE_NOT_FOUND,
        source=base,
        target=quote,
        date=on.isoformat(),
        rate_type=RateType(rate_type).label,
    )


def convert(
    money: Money,
    to: str,
    *,
    group: Group,
    on: datetime.date,
    rate_type: str = RateType.SPOT,
) -> Conversion:
    """`money` in currency `to` at the rate of `on`; the amount keeps full precision."""
    rate = rate_for(group=group, base=money.currency.code, quote=to, on=on, rate_type=rate_type)
    return Conversion(source=money, result=Money(money.amount * rate.rate, rate.quote), rate=rate)


CSV_COLUMNS = ("date", "base", "quote", "rate")


def _parse_rate_line(
    line: int, row: dict[str, str]
) -> tuple[datetime.date, str, str, Decimal, str]:
    def invalid(reason: str) -> CrmError:
        return CrmError(ErrorCode.INVALID_RATE_FILE, line=line, reason=reason)

    try:
        day = datetime.date.fromisoformat((row.get("date") or "").strip())
    except ValueError:
        raise invalid(f"date {row.get('date')!r} is not YYYY-MM-DD") from None
    try:
        base = currency(row.get("base") or "").code
        quote = currency(row.get("quote") or "").code
    except CrmError as error:
        raise invalid(error.message) from None
    if base == quote:
        raise invalid("base and quote are the same currency")
    try:
        value = Decimal((row.get("rate") or "").strip())
    except InvalidOperation:
        raise invalid(f"rate {row.get('rate')!r} is not a decimal number") from None
    if not value.is_finite() or value <= 0:
        raise invalid("rate must be a positive number")
    rate_type = (row.get("type") or RateType.SPOT).strip().upper()
    if rate_type not in RateType.values:
        raise invalid(f"type {rate_type!r} is not one of {', '.join(RateType.values)}")
    return day, base, quote, value, rate_type


def import_rates_csv(*, group: Group, text: str, source: str) -> int:
    """Store the rates of a CSV file (`date,base,quote,rate[,type]`), all or nothing.

    A rate already stored for the same pair, type and day is replaced. Returns the number of
    rates written. A bad line raises INVALID_RATE_FILE naming the line, and nothing is written.
    """
    reader = csv.DictReader(io.StringIO(text.strip()))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CrmError(
            ErrorCode.INVALID_RATE_FILE, line=1, reason=f"missing columns: {', '.join(missing)}"
        )
    parsed = [_parse_rate_line(number, row) for number, row in enumerate(reader, start=2)]
    with transaction.atomic():
        for day, base, quote, value, rate_type in parsed:
            ExchangeRate.objects.update_or_create(
                group=group,
                base=base,
                quote=quote,
                rate_type=rate_type,
                date=day,
                defaults={"rate": value, "source": source[:40]},
            )
    return len(parsed)
