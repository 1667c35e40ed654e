"""fieldRequirementRemove: a built-in field is optional again."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.customfields.types import CustomRecordType, record_type_value
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.customfields import configuration


class FieldRequirementRemove(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND)

    class Arguments:
        record_type = graphene.Argument(CustomRecordType, required=True)
        field = graphene.String(required=True)

    removed = graphene.Boolean()

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, record_type: Any, field: str
    ) -> dict[str, Any]:
        configuration.requirement_remove(
            access=access, record_type=record_type_value(record_type), field=field
        )
        return {"removed": True}
