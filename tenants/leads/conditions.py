"""Conditions on a record's fields, as tag, assignment and automation rules store them.

A condition list is JSON: `[{"field": "country", "op": "in", "value": ["DE", "AT"]}, ...]`;
a record matches when every condition holds (an empty list always matches). Operators:

- `eq`, `neq`: equal or not (text compared without case; lists: has / lacks the value);
- `in`: the value is a list and the field's value is one of them (a list field: shares one);
- `contains`: text contains the value (without case), or a list field has it;
- `empty`, `not_empty`: no value ("" / None / [] / {}), or some; they take no value;
- `gte`, `lte`: numbers (decimal), dates or date-times (ISO text), or text, compared in order.

    problems = validate(conditions, fields={"country", "industry", ...})   # on save
    if matches(lead, conditions): ...                                        # when applied

A field is read from the record's attribute; `custom.<code>` reads a custom field value.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

OPERATORS = ("eq", "in", "neq", "contains", "empty", "not_empty", "gte", "lte")
WITHOUT_VALUE = frozenset({"empty", "not_empty"})
MAX_CONDITIONS = 20


def value_of(record: Any, field: str) -> Any:
    """The record's value of `field` (an attribute, a mapping key, or `custom.<code>`)."""
    if field.startswith("custom."):
        custom = _get(record, "custom") or {}
        return custom.get(field.removeprefix("custom.")) if isinstance(custom, Mapping) else None
    return _get(record, field)


def _get(record: Any, name: str) -> Any:
    if isinstance(record, Mapping):
        return record.get(name)
    return getattr(record, name, None)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _text(value: Any) -> str:
    return str(value).strip().casefold()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return _text(a) == _text(b)
    return bool(a == b)


def _ordered(value: Any) -> Any:
    """A value comparable in order: Decimal for numbers, dates, else case-folded text."""
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value
    text = str(value).strip()
    try:
        return Decimal(text)
    except InvalidOperation:
        pass
    for parse in (datetime.date.fromisoformat, datetime.datetime.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return text.casefold()


def _compare(actual: Any, expected: Any, op: str) -> bool:
    if _empty(actual):
        return False
    left, right = _ordered(actual), _ordered(expected)
    if isinstance(left, datetime.datetime) and not isinstance(right, datetime.datetime):
        left = left.date()
    if isinstance(right, datetime.datetime) and not isinstance(left, datetime.datetime):
        right = right.date()
    if isinstance(left, datetime.datetime) and isinstance(right, datetime.datetime):
        # A time without a zone is read as UTC.
        if left.tzinfo is None:
            left = left.replace(tzinfo=datetime.UTC)
        if right.tzinfo is None:
            right = right.replace(tzinfo=datetime.UTC)
    try:
        return bool(left >= right) if op == "gte" else bool(left <= right)
    except (TypeError, InvalidOperation):
        return False


def holds(actual: Any, op: str, expected: Any) -> bool:
    """Whether one condition holds for the field's value `actual`."""
    many = isinstance(actual, (list, tuple, set, frozenset))
    if op == "empty":
        return _empty(actual)
    if op == "not_empty":
        return not _empty(actual)
    if op == "eq":
        return any(_same(item, expected) for item in actual) if many else _same(actual, expected)
    if op == "neq":
        return not holds(actual, "eq", expected)
    if op == "in":
        options = expected if isinstance(expected, (list, tuple)) else [expected]
        if many:
            return any(_same(item, option) for item in actual for option in options)
        return any(_same(actual, option) for option in options)
    if op == "contains":
        if many:
            return any(_same(item, expected) for item in actual)
        return not _empty(actual) and _text(expected) in _text(actual)
    if op in ("gte", "lte"):
        return _compare(actual, expected, op)
    return False


def matches(record: Any, conditions: list[dict[str, Any]] | None) -> bool:
    """Whether every condition holds for `record` (an empty list matches everything)."""
    return all(
        holds(
            value_of(record, str(condition["field"])), str(condition["op"]), condition.get("value")
        )
        for condition in conditions or []
    )


def validate(conditions: Any, fields: Collection[str]) -> list[str]:
    """What is wrong with `conditions` for records with `fields` (empty when nothing is).

    `fields` are the field names a condition may name; `custom.<code>` is accepted for any
    code when `fields` holds "custom.*", else only for the codes it lists.
    """
    if conditions is None:
        return []
    if not isinstance(conditions, list):
        return ["conditions must be a list"]
    if len(conditions) > MAX_CONDITIONS:
        return [f"at most {MAX_CONDITIONS} conditions"]
    problems: list[str] = []
    for index, condition in enumerate(conditions):
        where = f"condition {index + 1}"
        if not isinstance(condition, Mapping):
            problems.append(f"{where}: an object with field, op and value")
            continue
        unknown_keys = sorted(set(condition) - {"field", "op", "value"})
        if unknown_keys:
            problems.append(f"{where}: unknown key(s) {', '.join(unknown_keys)}")
        field, op = condition.get("field"), condition.get("op")
        if not isinstance(field, str) or not _known_field(field, fields):
            problems.append(f"{where}: unknown field {field!r}")
        if op not in OPERATORS:
            problems.append(f"{where}: unknown op {op!r}; one of {', '.join(OPERATORS)}")
            continue
        value = condition.get("value")
        if op in WITHOUT_VALUE:
            if value not in (None, "", []):
                problems.append(f"{where}: {op} takes no value")
        elif op == "in":
            if not isinstance(value, list) or not value:
                problems.append(f"{where}: in takes a non-empty list")
            elif not all(_scalar(item) for item in value):
                problems.append(f"{where}: in takes a list of texts or numbers")
        elif not _scalar(value) or value is None or value == "":
            problems.append(f"{where}: {op} takes a text or number value")
    return problems


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _known_field(field: str, fields: Collection[str]) -> bool:
    if field in fields:
        return True
    if field.startswith("custom.") and len(field) > len("custom."):
        return "custom.*" in fields
    return False
