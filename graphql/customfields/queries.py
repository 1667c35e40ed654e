"""The BU's field configuration: its custom field definitions and its required built-in fields."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.permissions import caller
from crm.graphql.customfields.types import (
    CustomRecordType,
    FieldDefinition,
    FieldRequirement,
    record_type_value,
)
from crm.platform.core.errors import CrmError
from crm.tenants.customfields import configuration


class CustomFieldQueries(graphene.ObjectType):
    custom_field_definitions = graphene.List(
        graphene.NonNull(FieldDefinition),
        required=True,
        record_type=graphene.Argument(CustomRecordType, description="All types if omitted."),
        active=graphene.Boolean(description="Only active (true) or inactive (false) ones."),
        description="This business unit's custom fields, in display order.",
    )
    field_requirements = graphene.List(
        graphene.NonNull(FieldRequirement),
        required=True,
        record_type=graphene.Argument(CustomRecordType, description="All types if omitted."),
        description="The built-in fields this business unit requires.",
    )

    @staticmethod
    def resolve_custom_field_definitions(
        _root: None,
        info: graphene.ResolveInfo,
        record_type: Any = None,
        active: bool | None = None,
    ) -> list[Any]:
        try:
            found = configuration.listed(
                caller(info), None if record_type is None else record_type_value(record_type)
            )
        except CrmError as error:
            raise graphql_error(error) from error
        return [d for d in found if active is None or d.active == active]

    @staticmethod
    def resolve_field_requirements(
        _root: None, info: graphene.ResolveInfo, record_type: Any = None
    ) -> list[Any]:
        try:
            return configuration.requirements(
                caller(info), None if record_type is None else record_type_value(record_type)
            )
        except CrmError as error:
            raise graphql_error(error) from error
