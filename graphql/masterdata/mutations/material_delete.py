"""materialDelete: remove a material nobody references yet (IN_USE otherwise)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.masterdata import services
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class MaterialDelete(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID, ErrorCode.IN_USE)

    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID()

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        services.material_delete(access=access, material_id=pk_of("Material", id))
        return {"deleted_id": id}
