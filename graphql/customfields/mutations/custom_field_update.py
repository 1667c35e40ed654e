"""customFieldUpdate: labels, help, options (added, relabelled; removed only when unused),
validation, requirement, position, filterable. The kind never changes."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.customfields.fields import CustomFieldKind
from crm.graphql.customfields.mutations.custom_field_define import options_of, validation_of
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


class CustomFieldUpdate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.NOT_FOUND,
            ErrorCode.IN_USE,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.UNKNOWN_CURRENCY,
        )

    class Arguments:
        record_type = graphene.Argument(CustomRecordType, required=True)
        code = graphene.String(required=True)
        kind = graphene.Argument(CustomFieldKind, description="Refused if it differs.")
        labels = graphene.List(
            graphene.NonNull(TranslationInput), description="Languages given are replaced."
        )
        help_texts = graphene.List(graphene.NonNull(TranslationInput))
        options = graphene.List(
            graphene.NonNull(CustomFieldOptionInput), description="The whole new list."
        )
        validation = graphene.Argument(
            CustomFieldValidationInput, description="The whole new set of rules."
        )
        required = graphene.Boolean()
        required_from_stage = graphene.String(description="Empty: from no stage.")
        position = graphene.Int()
        filterable = graphene.Boolean()

    field_definition = graphene.Field(FieldDefinition)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        record_type: Any,
        code: str,
        **arguments: Any,
    ) -> dict[str, Any]:
        kind = arguments.get("kind")
        definition = configuration.update(
            access=access,
            record_type=record_type_value(record_type),
            code=code,
            kind=None if kind is None else record_type_value(kind),
            labels=translations(arguments["labels"]) if "labels" in arguments else None,
            help_texts=(
                translations(arguments["help_texts"]) if "help_texts" in arguments else None
            ),
            options=options_of(arguments.get("options")),
            validation=validation_of(arguments.get("validation")),
            required=arguments.get("required"),
            required_from_stage=arguments.get("required_from_stage"),
            position=arguments.get("position"),
            filterable=arguments.get("filterable"),
        )
        return {"field_definition": definition}
