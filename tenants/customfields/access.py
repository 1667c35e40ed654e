"""Custom field definitions under the policy. The values are fields of their records: the
record type's governed field `custom_fields` decides who reads and writes them."""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.customfields import models

FIELD_DEFINITION = register(
    ObjectType(
        name="field_definition",
        model=models.FieldDefinition,
        graphql_type="FieldDefinition",
        fields=tuple(
            GovernedField(name)
            for name in (
                "record_type",
                "code",
                "label",
                "labels",
                "help_text",
                "help_texts",
                "kind",
                "options",
                "validation",
                "required",
                "required_from_stage",
                "position",
                "active",
                "filterable",
            )
        ),
        group_field=None,
    )
)
