"""Reporting periods: calendar months, quarters and years, named by codes such as `2026-03`,
`2026-Q1` and `2026`.

A target is set for one period, given by its kind and its first day; a dashboard counts over a
range of days cut into such periods. Days are the business unit's (its calendar, its time
zone); fiscal years that do not start in January are not supported yet.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.platform.core.errors import CrmError, ErrorCode

# A dashboard over more periods than this is refused: nobody reads a grid that wide, and its
# cost grows with it.
MAX_PERIODS = 36


class PeriodKind(models.TextChoices):
    MONTH = "MONTH", _("Month")
    QUARTER = "QUARTER", _("Quarter")
    YEAR = "YEAR", _("Year")


MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}
EARLIEST, LATEST = 1900, 9998


@dataclass(frozen=True, order=True)
class Period:
    """One calendar period: its kind and first day (always the first day of the period)."""

    start: datetime.date
    kind: str

    @property
    def months(self) -> int:
        return MONTHS[PeriodKind(self.kind)]

    @property
    def end(self) -> datetime.date:
        """The period's last day."""
        return self.following().start - datetime.timedelta(days=1)

    @property
    def code(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    def following(self) -> Period:
        month = self.start.month - 1 + self.months
        return Period(datetime.date(self.start.year + month // 12, month % 12 + 1, 1), self.kind)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def _kind(kind: str, field: str) -> PeriodKind:
    try:
        return PeriodKind(str(getattr(kind, "value", kind) or "").upper())
    except ValueError:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason="MONTH, QUARTER or YEAR"
        ) from None


def _in_range(day: datetime.date, field: str) -> None:
    if not EARLIEST <= day.year <= LATEST:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason=f"a date in {EARLIEST}–{LATEST}"
        )


def period_of(kind: str, start: datetime.date, *, field: str = "periodStart") -> Period:
    """The period of `kind` starting on `start`; INVALID_ARGUMENT unless `start` is the first
    day of a month, of a quarter (January, April, July, October) or of a year."""
    chosen = _kind(kind, "period")
    _in_range(start, field)
    if start.day != 1 or (start.month - 1) % MONTHS[chosen]:
        first = {
            PeriodKind.MONTH: "the first day of a month",
            PeriodKind.QUARTER: "the first day of a quarter (1 January, April, July or October)",
            PeriodKind.YEAR: "1 January",
        }[chosen]
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=first)
    return Period(start, chosen.value)


def period_containing(kind: str, day: datetime.date, *, field: str = "period") -> Period:
    """The period of `kind` that contains `day`."""
    chosen = _kind(kind, field)
    _in_range(day, field)
    month = (day.month - 1) // MONTHS[chosen] * MONTHS[chosen] + 1
    return Period(datetime.date(day.year, month, 1), chosen.value)


def periods_between(
    start: datetime.date, end: datetime.date, kind: str, *, field: str = "granularity"
) -> list[Period]:
    """The periods of `kind` from the one containing `start` to the one containing `end`.

    INVALID_ARGUMENT (on `from`) when `start` is after `end` or the range spans more than
    MAX_PERIODS periods."""
    _in_range(start, "from")
    _in_range(end, "to")
    if start > end:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="from", reason="after “to”")
    first = period_containing(kind, start, field=field)
    last = period_containing(kind, end, field=field)
    count = ((last.start.year - first.start.year) * 12 + last.start.month - first.start.month) // (
        first.months
    ) + 1
    if count > MAX_PERIODS:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="from",
            reason=f"a range of at most {MAX_PERIODS} periods ({count} asked)",
        )
    periods = [first]
    while periods[-1] != last:
        periods.append(periods[-1].following())
    return periods
