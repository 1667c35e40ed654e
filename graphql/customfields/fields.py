"""Custom field values in the API: typed output, one input shape, filters; used by the types and
mutations of leads, accounts, contacts and opportunities.

    custom_fields = custom_fields_field("lead")            # on the GraphQL type
    custom_fields = graphene.List(graphene.NonNull(CustomFieldInput))   # on a mutation
    values = custom_values(arguments.get("custom_fields"))  # -> {code: value}, for clean_custom
    queryset = filter_custom(queryset, "lead", filter.get("custom_fields"), access=access)

Reading `customFields` is governed by the record type's policy field `custom_fields` (the
FieldPolicyMiddleware hides it: null and FIELD_FORBIDDEN). Filtering on custom fields needs
that field readable in every record the caller can view: pass `access`, and `filter_custom`
refuses otherwise with FIELD_FORBIDDEN (argument `customFields`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import graphene
from django.db.models import QuerySet
from moneyed import Money as MoneyValue

from crm.graphql.core.types import Money
from crm.graphql.masterdata.types import text_chain
from crm.i18n import languages
from crm.platform.permissions.registry import REGISTRY
from crm.tenants.customfields.filters import MAX_CUSTOM_FILTERS, custom_condition
from crm.tenants.customfields.models import FieldDefinition, FieldKind
from crm.tenants.customfields.services import definitions, option_label

if TYPE_CHECKING:
    from crm.platform.permissions.engine import Access

__all__ = [
    "MAX_CUSTOM_FILTERS",
    "CustomFieldFilter",
    "CustomFieldInput",
    "CustomFieldKind",
    "CustomFieldValue",
    "custom_fields_field",
    "custom_values",
    "filter_custom",
]

CustomFieldKind = graphene.Enum.from_enum(FieldKind)


class CustomFieldValue(graphene.ObjectType):
    """A custom field's value on a record: exactly one of the value fields is set, by `kind`."""

    code = graphene.String(required=True)
    label = graphene.String(required=True, description="In the request's language.")
    kind = graphene.Field(CustomFieldKind, required=True)
    text = graphene.String()
    number = graphene.Decimal()
    money = graphene.Field(Money)
    date = graphene.Date()
    choices = graphene.List(
        graphene.NonNull(graphene.String), description="CHOICE: one code; MULTI_CHOICE: several."
    )
    choice_labels = graphene.List(
        graphene.NonNull(graphene.String),
        description="The labels of `choices`, in the same order, in the request's language.",
    )


class MoneyInput(graphene.InputObjectType):
    amount = graphene.Decimal(required=True)
    currency = graphene.String(required=True, description="ISO-4217 code")


class CustomFieldInput(graphene.InputObjectType):
    """A custom field's new value: set the one that fits its kind; none of them removes it."""

    code = graphene.String(required=True)
    text = graphene.String()
    number = graphene.Decimal()
    money = graphene.Field(MoneyInput)
    date = graphene.Date()
    choices = graphene.List(graphene.NonNull(graphene.String))


class CustomFieldFilter(graphene.InputObjectType):
    """Records whose custom field `code` equals `equals` (TEXT, CHOICE code, NUMBER like "12.5",
    DATE like "2026-05-01"), or, for MULTI_CHOICE, has every one of `hasAll`, or, for a NUMBER
    or DATE field marked filterable, lies within `min` and `max` (inclusive; either may be
    omitted). Records without a value never match. Several conditions on one entry all hold."""

    code = graphene.String(required=True)
    equals = graphene.String()
    has_all = graphene.List(graphene.NonNull(graphene.String))
    minimum = graphene.String(name="min", description="NUMBER or DATE, inclusive.")
    maximum = graphene.String(name="max", description="NUMBER or DATE, inclusive.")


def custom_values(entries: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Mutation input -> {code: value or None} for `clean_custom`."""
    values: dict[str, Any] = {}
    for entry in entries or []:
        value: Any = None
        if entry.get("text") is not None:
            value = entry["text"]
        elif entry.get("number") is not None:
            value = str(entry["number"])
        elif entry.get("money") is not None:
            value = {
                "amount": str(entry["money"]["amount"]),
                "currency": entry["money"]["currency"],
            }
        elif entry.get("date") is not None:
            value = entry["date"].isoformat()
        elif entry.get("choices") is not None:
            choices = list(entry["choices"])
            value = choices  # a CHOICE field takes one: clean_value checks the kind
        values[entry["code"]] = value
    return values


def _value(definition: FieldDefinition, stored: Any, chain: list[str]) -> CustomFieldValue | None:
    """The typed value, or None for a stored value that does not fit its definition (never
    written by `clean_custom`; skipped rather than failing the whole record)."""
    kind = definition.kind
    value = CustomFieldValue(
        code=definition.code,
        label=languages.translated(definition, "label", chain),
        kind=FieldKind(kind),
    )
    try:
        if kind == FieldKind.TEXT:
            value.text = str(stored)
        elif kind == FieldKind.NUMBER:
            value.number = Decimal(str(stored))
        elif kind == FieldKind.MONEY:
            value.money = MoneyValue(Decimal(str(stored["amount"])), stored["currency"])
        elif kind == FieldKind.DATE:
            value.date = datetime.date.fromisoformat(str(stored))
        else:
            codes = [stored] if kind == FieldKind.CHOICE else list(stored)
            options = {str(option.get("code")): option for option in definition.options or []}
            value.choices = [str(code) for code in codes]
            value.choice_labels = [
                option_label(options[code], chain) if code in options else str(code)
                for code in value.choices
            ]
    except (InvalidOperation, ValueError, TypeError, KeyError):
        return None
    return value


def custom_fields_field(record_type: str) -> graphene.List:
    """The `customFields` field of a record type: its set values, in the definitions' order."""

    def resolve(root: Any, info: graphene.ResolveInfo) -> list[CustomFieldValue]:
        stored = getattr(root, "custom", None) or {}
        if not stored:
            return []
        cache = info.context.__dict__.setdefault("_custom_field_definitions", {})
        known = cache.get(record_type)
        if known is None:
            known = cache[record_type] = definitions(record_type)
        chain = text_chain(info)
        values = [
            _value(definition, stored[code], chain)
            for code, definition in known.items()
            if code in stored
        ]
        return [value for value in values if value is not None]

    return graphene.List(
        graphene.NonNull(CustomFieldValue),
        resolver=resolve,
        description="The business unit's own fields that are set on this record.",
    )


def filter_custom(
    queryset: QuerySet[Any],
    record_type: str,
    filters: list[dict[str, Any]] | None,
    *,
    access: Access | None = None,
) -> QuerySet[Any]:
    """`queryset` narrowed by custom-field filters (all must hold): equality and hasAll by JSONB
    containment (GIN index), min/max by the field's expression index (see
    tenants/customfields/filters.py). INVALID_ARGUMENT for an unknown or inactive field, a
    filter that does not fit the field's kind, or more than MAX_CUSTOM_FILTERS entries.

    With `access` (pass it: the default None is for callers that checked themselves), the
    record type's `custom_fields` must be readable in every record the caller may view, else
    FIELD_FORBIDDEN (field `customFields`): a filter would otherwise reveal hidden values."""
    if not filters:
        return queryset
    if access is not None:
        access.require_readable(REGISTRY[record_type], "custom_fields", argument="customFields")
    return queryset.filter(custom_condition(record_type, filters))
