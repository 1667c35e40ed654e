"""What the dashboards share: the records one may view as SQL, periods and dates checked."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from crm.platform.core.errors import CrmError, ErrorCode

# The SQL of the ids of the records one may view, and its parameters; None: every record.
Restriction = tuple[str, list[Any]] | None
NOTHING: Restriction = ("SELECT NULL WHERE FALSE", [])
# A longer period is refused: a dashboard over decades is a mistake (as the group views say).
MAX_DAYS = 3660


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def restriction(queryset: QuerySet[Any]) -> Restriction:
    """None when `queryset` (what the caller may view) is the whole table; else the SQL of its
    ids, to keep a statement to the records the caller may view."""
    if queryset.query.is_empty():
        return NOTHING
    if not queryset.query.where.children:
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql, list(params)


def condition(column: str, visible: Restriction) -> tuple[str, list[Any]]:
    """` AND <column> IN (<visible ids>)`, or nothing when every record is visible."""
    if visible is None:
        return "", []
    return f" AND {column} IN ({visible[0]})", list(visible[1])


def owned_by(column: str, users: frozenset[int] | None) -> tuple[str, list[Any]]:
    """` AND <column> = ANY(<users>)` for a dashboard reaching only some people's records."""
    if users is None:
        return "", []
    return f" AND {column} = ANY(%s)", [sorted(users)]


def serial(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run one statement without parallel workers (as the aging does): the dashboards group a
    BU's rows in one pass, cheaper than workers splitting them, and leave the cores to others."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def checked_day(day: datetime.date, *, field: str) -> datetime.date:
    if day.year < 1900 or day.year > 9999:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=_("a date in 1900–9999"))
    return day


def checked_period(start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """A period of days, both included: in 1900–9999, `from` not after `to`, at most MAX_DAYS."""
    checked_day(start, field="from")
    checked_day(end, field="to")
    if start > end:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="from", reason=_("after “to”"))
    if (end - start).days > MAX_DAYS:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="from",
            reason=_("a period of at most %(days)s days") % {"days": MAX_DAYS},
        )
    return start, end


def not_ahead(day: datetime.date | None, today: datetime.date, *, field: str) -> datetime.date:
    """`day` (today when None), refused when it is after today."""
    if day is None:
        return today
    checked_day(day, field=field)
    if day > today:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field=field,
            reason=_("not after %(today)s") % {"today": today.isoformat()},
        )
    return day


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` calendar months earlier (the month's last day where it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    last = (following - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))
