"""Custom field values in the API: typed output, one input shape, filters; used by the types and
mutations of leads, accounts, contacts and opportunities.

    custom_fields = custom_fields_field("lead")            # on the GraphQL type
    custom_fields = graphene.List(graphene.NonNull(CustomFieldInput))   # on a mutation
    values = custom_values(arguments.get("custom_fields"))  # -> {code: value}, for clean_custom
    queryset = filter_custom(queryset, "lead", filter.get("custom_fields"))   # in a list query
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene
from django.db.models import Q, QuerySet
from moneyed import Money as MoneyValue

from crm.graphql.core.types import Money
from crm.graphql.masterdata.types import text_chain
from crm.i18n import languages
from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.customfields.models import FieldDefinition, FieldKind
from crm.tenants.customfields.services import definitions

MAX_CUSTOM_FILTERS = 5

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
    """Records whose custom field `code` equals `equals` (its stored text form: a choice code,
    a number like "12.5", a date like "2026-05-01") or, for multi-choice, has every one of
    `hasAll`."""

    code = graphene.String(required=True)
    equals = graphene.String()
    has_all = graphene.List(graphene.NonNull(graphene.String))


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


def _value(definition: FieldDefinition, stored: Any, chain: list[str]) -> CustomFieldValue:
    kind = definition.kind
    value = CustomFieldValue(
        code=definition.code,
        label=languages.translated(definition, "label", chain),
        kind=FieldKind(kind),
    )
    if kind == FieldKind.TEXT:
        value.text = stored
    elif kind == FieldKind.NUMBER:
        value.number = Decimal(stored)
    elif kind == FieldKind.MONEY:
        value.money = MoneyValue(Decimal(stored["amount"]), stored["currency"])
    elif kind == FieldKind.DATE:
        value.date = datetime.date.fromisoformat(stored)
    elif kind == FieldKind.CHOICE:
        value.choices = [stored]
    else:
        value.choices = list(stored)
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
        return [
            _value(definition, stored[code], chain)
            for code, definition in known.items()
            if code in stored
        ]

    return graphene.List(
        graphene.NonNull(CustomFieldValue),
        resolver=resolve,
        description="The business unit's own fields that are set on this record.",
    )


def filter_custom(
    queryset: QuerySet[Any], record_type: str, filters: list[dict[str, Any]] | None
) -> QuerySet[Any]:
    """`queryset` narrowed by custom-field filters: JSONB containment, served by the GIN index."""
    if not filters:
        return queryset
    if len(filters) > MAX_CUSTOM_FILTERS:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="customFields",
            reason=f"at most {MAX_CUSTOM_FILTERS} custom-field filters",
        )
    known = definitions(record_type)
    condition = Q()
    for entry in filters:
        code = entry["code"]
        definition = known.get(code)
        if definition is None:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field=f"customFields.{code}",
                reason="no such custom field",
            )
        if entry.get("has_all") is not None:
            condition &= Q(custom__contains={code: list(entry["has_all"])})
        elif entry.get("equals") is not None:
            if definition.kind == FieldKind.MONEY:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field=f"customFields.{code}",
                    reason="money fields are not filtered by equality",
                )
            condition &= Q(custom__contains={code: entry["equals"]})
    return queryset.filter(condition)
