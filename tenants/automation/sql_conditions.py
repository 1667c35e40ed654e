"""Rule conditions as SQL, for the time-based scan: a filter selecting at least every record
the conditions hold for (`crm.tenants.leads.conditions.matches` stays the authority: the scan
checks each candidate in Python again before firing).

Text compares without case, as the Python check does; a condition on a custom field
(`custom.<code>`) is not translated (every record passes it here) and is decided in Python.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q

from crm.tenants.automation import records
from crm.tenants.automation.records import ConditionField, RecordKind


def to_q(kind: RecordKind, conditions: list[dict[str, Any]] | None) -> Q:
    query = Q()
    for condition in conditions or []:
        spec = kind.field(str(condition.get("field")))
        if spec is None:  # custom.<code>: decided in Python
            continue
        query &= _condition(spec, str(condition.get("op")), condition.get("value"))
    return query


def _typed(spec: ConditionField, value: Any) -> Any:
    """`value` as the column's type, or None when it cannot be one (then nothing matches)."""
    try:
        if spec.kind == records.INT:
            return int(value)
        if spec.kind == records.DECIMAL:
            return Decimal(str(value))
        if spec.kind == records.BOOL:
            if isinstance(value, str):
                return value.strip().casefold() in ("true", "1", "yes")
            return bool(value)
        if spec.kind == records.DATETIME:
            if isinstance(value, datetime.datetime):
                return value
            text = str(value)
            return datetime.datetime.fromisoformat(text) if "T" in text else None
        if spec.kind == records.DATE:
            return datetime.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError, InvalidOperation):
        return None
    return str(value).strip()


def _eq(spec: ConditionField, value: Any) -> Q:
    path = spec.lookup
    if spec.kind == records.ARRAY:
        return Q(**{f"{path}__contains": [str(value)]})
    if spec.kind == records.TEXT:
        return Q(**{f"{path}__iexact": str(value).strip()})
    if spec.kind == records.DATETIME:
        typed = _typed(spec, value)
        if typed is None:  # a date: the same day
            return Q(**{f"{path}__date": _typed_date(value)})
        return Q(**{path: typed})
    typed = _typed(spec, value)
    if typed is None:
        return Q(pk__in=[])
    return Q(**{path: typed})


def _typed_date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _empty(spec: ConditionField) -> Q:
    path = spec.lookup
    query = Q(**{f"{path}__isnull": True})
    if spec.kind in (records.TEXT,):
        query |= Q(**{path: ""})
    if spec.kind == records.ARRAY:
        query |= Q(**{path: []})
    return query


def _condition(spec: ConditionField, op: str, value: Any) -> Q:
    path = spec.lookup
    if op == "empty":
        return _empty(spec)
    if op == "not_empty":
        return ~_empty(spec)
    if op == "eq":
        return _eq(spec, value)
    if op == "neq":
        return ~_eq(spec, value)
    if op == "in":
        options = value if isinstance(value, list) else [value]
        if spec.kind == records.ARRAY:
            return Q(**{f"{path}__overlap": [str(option) for option in options]})
        return reduce(or_, (_eq(spec, option) for option in options), Q(pk__in=[]))
    if op == "contains":
        if spec.kind == records.ARRAY:
            return Q(**{f"{path}__contains": [str(value)]})
        return Q(**{f"{path}__icontains": str(value).strip()})
    if op in ("gte", "lte"):
        if spec.kind == records.TEXT:
            return ~_empty(spec)  # ordered text: decided in Python
        if spec.kind == records.DATETIME and _typed(spec, value) is None:
            day = _typed_date(value)
            return Q(**{f"{path}__date__{op}": day}) if day else Q(pk__in=[])
        typed = _typed(spec, value)
        if typed is None:
            return Q(pk__in=[])
        return Q(**{f"{path}__{op}": typed})
    return Q(pk__in=[])
