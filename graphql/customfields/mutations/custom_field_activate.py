"""customFieldActivate: the field is shown and accepted again, with the values it kept."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.customfields.types import CustomRecordType, FieldDefinition, record_type_value
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.customfields import configuration


class CustomFieldActivate(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND)

    class Arguments:
        record_type = graphene.Argument(CustomRecordType, required=True)
        code = graphene.String(required=True)

    field_definition = graphene.Field(FieldDefinition)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, record_type: Any, code: str
    ) -> dict[str, Any]:
        definition = configuration.set_active(
            access=access, record_type=record_type_value(record_type), code=code, active=True
        )
        return {"field_definition": definition}
