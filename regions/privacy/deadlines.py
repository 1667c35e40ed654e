"""Legal deadlines: a period of months ends on the same day of the month, or on the month's last
day when that day does not exist there (31 January + 1 month = 28 or 29 February)."""

from __future__ import annotations

import calendar
import datetime


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """`moment` moved by `months` calendar months (negative: back), the time of day kept."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
