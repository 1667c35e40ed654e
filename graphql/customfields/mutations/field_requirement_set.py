"""fieldRequirementSet: require one of a record type's optional built-in fields, always or from
a stage (a deal stage code, a lead status); replaces that field's requirement."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.customfields.types import CustomRecordType, FieldRequirement, record_type_value
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.customfields import configuration


class FieldRequirementSet(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT,)

    class Arguments:
        record_type = graphene.Argument(CustomRecordType, required=True)
        field = graphene.String(required=True, description="snake_case, e.g. expected_close.")
        from_stage = graphene.String(description="Empty or omitted: always.")

    field_requirement = graphene.Field(FieldRequirement)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        record_type: Any,
        field: str,
        from_stage: str | None = None,
    ) -> dict[str, Any]:
        requirement = configuration.requirement_set(
            access=access,
            record_type=record_type_value(record_type),
            field=field,
            from_stage=from_stage or "",
        )
        return {"field_requirement": requirement}
