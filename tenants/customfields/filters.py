"""Filtering records by custom field values, in SQL the indexes serve.

- equality (TEXT, NUMBER, DATE, CHOICE) and "has all of" (MULTI_CHOICE): JSONB containment
  `custom @> {"code": value}`, served by the table's GIN index (jsonb_path_ops); the value is
  put in its stored (canonical) form first, so "12.50" finds 12.5;
- range (`minimum`/`maximum`, NUMBER and DATE fields marked filterable): the expression of
  `indexes.expression_sql`, served by the field's expression index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import DecimalField, Expression, F, Func, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.customfields.indexes import CODE_PATTERN, RANGE_KINDS
from crm.tenants.customfields.models import FieldDefinition, FieldKind
from crm.tenants.customfields.services import (
    _invalid,
    canonical_number,
    clean_value,
    definitions,
    parse_date,
    parse_number,
)

MAX_CUSTOM_FILTERS = 5


class NumericText(Func):
    """`(<text>)::numeric`: the expression the NUMBER range indexes are built on."""

    template = "(%(expressions)s)::numeric"
    output_field = DecimalField()


@dataclass(frozen=True)
class CustomFilter:
    code: str
    equals: str | None = None
    has_all: list[str] | None = None
    minimum: str | None = None
    maximum: str | None = None

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> CustomFilter:
        def text(name: str) -> str | None:
            value = entry.get(name)
            return None if value is None else str(value)

        has_all = entry.get("has_all")
        return cls(
            code=str(entry["code"]),
            equals=text("equals"),
            has_all=None if has_all is None else [str(item) for item in has_all],
            minimum=text("min") if entry.get("min") is not None else text("minimum"),
            maximum=text("max") if entry.get("max") is not None else text("maximum"),
        )


def range_expression(definition: FieldDefinition) -> Expression:
    if not CODE_PATTERN.fullmatch(definition.code):
        raise _invalid(definition.code, "not filterable by range")
    text = KeyTextTransform(definition.code, F("custom"))
    if definition.kind == FieldKind.NUMBER:
        return NumericText(text)
    return text


def _bound(definition: FieldDefinition, value: str) -> Any:
    if definition.kind == FieldKind.NUMBER:
        return parse_number(definition.code, value)
    return parse_date(definition.code, value).isoformat()


def _condition(definition: FieldDefinition, entry: CustomFilter) -> Q:
    code, kind = definition.code, definition.kind
    given = [
        name
        for name, value in (
            ("equals", entry.equals),
            ("hasAll", entry.has_all),
            ("min", entry.minimum),
            ("max", entry.maximum),
        )
        if value is not None
    ]
    if not given:
        raise _invalid(code, "give equals, hasAll, min or max")
    condition = Q()
    if entry.has_all is not None:
        if kind != FieldKind.MULTI_CHOICE:
            raise _invalid(code, "hasAll is for multiple-choice fields")
        condition &= Q(custom__contains={code: clean_value(definition, entry.has_all)})
    if entry.equals is not None:
        if kind in (FieldKind.MONEY, FieldKind.MULTI_CHOICE):
            raise _invalid(code, "not filtered by equality (use hasAll for multiple choice)")
        if kind == FieldKind.NUMBER:
            stored: Any = canonical_number(parse_number(code, entry.equals))
        elif kind == FieldKind.DATE:
            stored = parse_date(code, entry.equals).isoformat()
        elif kind == FieldKind.CHOICE:
            stored = clean_value(definition, entry.equals)
        else:
            stored = entry.equals.strip()
        condition &= Q(custom__contains={code: stored})
    if entry.minimum is not None or entry.maximum is not None:
        if kind not in RANGE_KINDS:
            raise _invalid(code, "min and max are for number and date fields")
        if not definition.filterable:
            raise _invalid(code, "filter by range only on a field marked filterable")
        expression = range_expression(definition)
        # Keys absent from a record give NULL: such records never match a range.
        if entry.minimum is not None:
            condition &= _compare(expression, "gte", _bound(definition, entry.minimum))
        if entry.maximum is not None:
            condition &= _compare(expression, "lte", _bound(definition, entry.maximum))
    return condition


def _compare(expression: Expression, lookup: str, value: Any) -> Q:
    kind = GreaterThanOrEqual if lookup == "gte" else LessThanOrEqual
    return Q(kind(expression, value))


def custom_condition(record_type: str, filters: Sequence[Mapping[str, Any]] | None) -> Q:
    """The Q of custom-field filters on `record_type` (all must hold), or INVALID_ARGUMENT."""
    if not filters:
        return Q()
    if len(filters) > MAX_CUSTOM_FILTERS:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="customFields",
            reason=f"at most {MAX_CUSTOM_FILTERS} custom-field filters",
        )
    known = definitions(record_type)
    condition = Q()
    for raw in filters:
        entry = CustomFilter.of(raw)
        definition = known.get(entry.code)
        if definition is None:
            raise _invalid(entry.code, "no such custom field")
        condition &= _condition(definition, entry)
    return condition
