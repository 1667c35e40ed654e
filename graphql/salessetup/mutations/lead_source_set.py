"""leadSourceSet: HQ creates or updates a lead source (by code)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.salessetup.types import LeadSource
from crm.masterdata.sales.services import lead_source_set
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class LeadSourceSet(CrmMutation):
    class Meta:
        description = "Create a lead source of the group, or change its names or activity."
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.UNKNOWN_LANGUAGE)

    class Arguments:
        code = graphene.String(required=True, description="e.g. TRADE_FAIR (upper-cased).")
        names = graphene.List(graphene.NonNull(TranslationInput))
        active = graphene.Boolean()

    lead_source = graphene.Field(LeadSource)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        code: str,
        names: list[dict[str, str]] | None = None,
        active: bool | None = None,
    ) -> dict[str, Any]:
        source = lead_source_set(access, code=code, names=translations(names), active=active)
        return {"lead_source": source}
