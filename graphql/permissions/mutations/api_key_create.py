"""apiKeyCreate: a key for an integrator, with one role, group-wide or for one BU."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.permissions.types import ApiKey
from crm.platform.accounts.services import api_key_create
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class ApiKeyCreate(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND)

    class Arguments:
        name = graphene.String(required=True)
        role = graphene.String(required=True, description="Role code, e.g. integration.")
        business_unit = graphene.String(description="BU code; omit for a group-wide key.")

    api_key = graphene.Field(ApiKey)
    token = graphene.String(description="The secret, shown only now. Store it safely.")

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        name: str,
        role: str,
        business_unit: str | None = None,
    ) -> dict[str, Any]:
        token, key = api_key_create(
            access=access, name=name, role=role, business_unit=business_unit
        )
        return {"api_key": key, "token": token}
