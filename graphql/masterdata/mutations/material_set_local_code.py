"""materialSetLocalCode: map a business unit's own code to a group material (null code unmaps)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.masterdata.types import Material
from crm.masterdata import services
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class MaterialSetLocalCode(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
        )

    class Arguments:
        id = graphene.ID(required=True)
        business_unit = graphene.String(required=True, description="BU code in the group.")
        code = graphene.String(description="The BU's code; null removes the mapping.")

    material = graphene.Field(Material)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        id: str,
        business_unit: str,
        code: str | None = None,
    ) -> dict[str, Any]:
        material = services.material_set_local_code(
            access=access, material_id=pk_of("Material", id), business_unit=business_unit, code=code
        )
        return {"material": material}
