"""GraphQL types of the BU's field configuration: custom field definitions, required fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene
from modeltranslation.utils import build_localized_fieldname

from crm.graphql.core.permissions import permissions_field
from crm.graphql.core.types import TranslationInput
from crm.graphql.customfields.fields import CustomFieldKind
from crm.graphql.masterdata.types import text_chain
from crm.i18n import languages
from crm.tenants.customfields import models
from crm.tenants.customfields.access import FIELD_DEFINITION
from crm.tenants.customfields.services import canonical_number, option_label

CustomRecordType = graphene.Enum(
    "CustomRecordType",
    [(choice.name, choice.value) for choice in models.CustomRecordType],
    description="The record types that have custom fields (ACCOUNT is local_customer).",
)


def record_type_value(value: Any) -> str:
    """The record type's code from an enum argument (graphene passes the value or the enum)."""
    return str(getattr(value, "value", value))


class Translation(graphene.ObjectType):
    language = graphene.String(required=True)
    text = graphene.String(required=True)


def translations_of(instance: Any, field: str) -> list[Translation]:
    return [
        Translation(language=code, text=text)
        for code in languages.SUPPORTED
        if (text := getattr(instance, build_localized_fieldname(field, code), None))
    ]


class CustomFieldOption(graphene.ObjectType):
    code = graphene.String(required=True)
    label = graphene.String(required=True, description="In the request's language.")
    labels = graphene.List(graphene.NonNull(Translation), required=True)

    @staticmethod
    def resolve_code(root: dict[str, Any], _info: graphene.ResolveInfo) -> str:
        return str(root["code"])

    @staticmethod
    def resolve_label(root: dict[str, Any], info: graphene.ResolveInfo) -> str:
        return option_label(root, text_chain(info))

    @staticmethod
    def resolve_labels(root: dict[str, Any], _info: graphene.ResolveInfo) -> list[Translation]:
        labels: dict[str, str] = root.get("labels") or {}
        return [
            Translation(language=code, text=labels[code])
            for code in languages.SUPPORTED
            if labels.get(code)
        ]


class CustomFieldOptionInput(graphene.InputObjectType):
    code = graphene.String(required=True, description="Letters, digits, _ or -; unique.")
    labels = graphene.List(graphene.NonNull(TranslationInput), required=True)


class CustomFieldValidation(graphene.ObjectType):
    max_length = graphene.Int(description="TEXT")
    pattern = graphene.String(description="TEXT: a regular expression the whole text matches.")
    minimum = graphene.Decimal(description="NUMBER, MONEY")
    maximum = graphene.Decimal(description="NUMBER, MONEY")
    min_date = graphene.Date(description="DATE")
    max_date = graphene.Date(description="DATE")
    currency = graphene.String(description="MONEY: the one currency accepted (ISO-4217).")


class CustomFieldValidationInput(graphene.InputObjectType):
    max_length = graphene.Int(description="TEXT: 1 to 2000 (texts never exceed 2000).")
    pattern = graphene.String(
        description="TEXT: a regular expression (at most 300 characters, no nested repetition)."
    )
    minimum = graphene.Decimal(description="NUMBER, MONEY")
    maximum = graphene.Decimal(description="NUMBER, MONEY")
    min_date = graphene.Date(description="DATE")
    max_date = graphene.Date(description="DATE")
    currency = graphene.String(description="MONEY: the one currency accepted (ISO-4217).")


class FieldDefinition(graphene.ObjectType):
    """A field the business unit added to a record type. Identified by recordType and code."""

    record_type = graphene.Field(CustomRecordType)
    code = graphene.String()
    label = graphene.String(description="In the request's language (with fallbacks).")
    labels = graphene.List(graphene.NonNull(Translation), description="Every language set.")
    help_text = graphene.String(description="In the request's language (with fallbacks).")
    help_texts = graphene.List(graphene.NonNull(Translation))
    kind = graphene.Field(CustomFieldKind)
    options = graphene.List(graphene.NonNull(CustomFieldOption))
    validation = graphene.Field(CustomFieldValidation)
    required = graphene.Boolean(description="Required always.")
    required_from_stage = graphene.String(
        description="Required in this stage (deal stage code or lead status) and every later one."
    )
    position = graphene.Int()
    active = graphene.Boolean(description="Inactive fields keep their values, hidden.")
    filterable = graphene.Boolean(description="Has a range index (min/max filters).")
    permissions = permissions_field(FIELD_DEFINITION)

    @staticmethod
    def resolve_record_type(root: models.FieldDefinition, _info: graphene.ResolveInfo) -> str:
        return root.record_type

    @staticmethod
    def resolve_label(root: models.FieldDefinition, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "label", text_chain(info))

    @staticmethod
    def resolve_labels(
        root: models.FieldDefinition, _info: graphene.ResolveInfo
    ) -> list[Translation]:
        return translations_of(root, "label")

    @staticmethod
    def resolve_help_text(root: models.FieldDefinition, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "help_text", text_chain(info))

    @staticmethod
    def resolve_help_texts(
        root: models.FieldDefinition, _info: graphene.ResolveInfo
    ) -> list[Translation]:
        return translations_of(root, "help_text")

    @staticmethod
    def resolve_options(
        root: models.FieldDefinition, _info: graphene.ResolveInfo
    ) -> list[dict[str, Any]]:
        return list(root.options or [])

    @staticmethod
    def resolve_validation(
        root: models.FieldDefinition, _info: graphene.ResolveInfo
    ) -> CustomFieldValidation:
        return CustomFieldValidation(
            max_length=root.max_length,
            pattern=root.pattern or None,
            minimum=None if root.minimum is None else Decimal(canonical_number(root.minimum)),
            maximum=None if root.maximum is None else Decimal(canonical_number(root.maximum)),
            min_date=root.min_date,
            max_date=root.max_date,
            currency=root.currency or None,
        )


class FieldRequirement(graphene.ObjectType):
    """A built-in field the business unit requires, always or from a stage on."""

    record_type = graphene.Field(CustomRecordType, required=True)
    field = graphene.String(required=True, description="The field's name in snake_case.")
    from_stage = graphene.String(required=True, description="Empty: always.")

    @staticmethod
    def resolve_record_type(root: models.FieldRequirement, _info: graphene.ResolveInfo) -> str:
        return root.record_type
