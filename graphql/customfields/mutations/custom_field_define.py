"""customFieldDefine: a new field on leads, accounts, contacts or opportunities."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.customfields.fields import CustomFieldKind
from crm.graphql.customfields.types import (
    CustomFieldOptionInput,
    CustomFieldValidationInput,
    CustomRecordType,
    FieldDefinition,
    record_type_value,
)
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.customfields import configuration


def options_of(entries: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if entries is None:
        return None
    return [
        {"code": entry["code"], "labels": translations(entry.get("labels"))} for entry in entries
    ]


def validation_of(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {name: value for name, value in dict(entry).items() if value is not None}


class CustomFieldDefine(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.UNKNOWN_CURRENCY,
        )

    class Arguments:
        record_type = graphene.Argument(CustomRecordType, required=True)
        code = graphene.String(
            required=True, description="Lower-case letters, digits, _; unique per record type."
        )
        kind = graphene.Argument(CustomFieldKind, required=True)
        labels = graphene.List(graphene.NonNull(TranslationInput), required=True)
        help_texts = graphene.List(graphene.NonNull(TranslationInput))
        options = graphene.List(
            graphene.NonNull(CustomFieldOptionInput), description="CHOICE, MULTI_CHOICE only."
        )
        validation = graphene.Argument(CustomFieldValidationInput)
        required = graphene.Boolean(description="Required always.")
        required_from_stage = graphene.String(
            description="Deal stage code or lead status from which on the field is required."
        )
        position = graphene.Int(description="Display order; after the others if omitted.")
        filterable = graphene.Boolean(description="NUMBER, DATE: build a range index.")

    field_definition = graphene.Field(FieldDefinition)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        record_type: Any,
        code: str,
        kind: Any,
        labels: list[dict[str, str]],
        help_texts: list[dict[str, str]] | None = None,
        options: list[dict[str, Any]] | None = None,
        validation: dict[str, Any] | None = None,
        required: bool | None = None,
        required_from_stage: str | None = None,
        position: int | None = None,
        filterable: bool | None = None,
    ) -> dict[str, Any]:
        definition = configuration.define(
            access=access,
            record_type=record_type_value(record_type),
            code=code,
            kind=record_type_value(kind),
            labels=translations(labels),
            help_texts=translations(help_texts),
            options=options_of(options),
            validation=validation_of(validation),
            required=bool(required),
            required_from_stage=required_from_stage or "",
            position=position,
            filterable=bool(filterable),
        )
        return {"field_definition": definition}
