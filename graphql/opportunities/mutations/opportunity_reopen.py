"""opportunityReopen: a manager reopens a closed deal."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.opportunities.mutations.base import DealMutation, deal_of, reason_of
from crm.graphql.opportunities.types import Opportunity
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services


class OpportunityReopen(DealMutation):
    class Meta:
        description = (
            "Reopen a closed deal (needs the approve permission) into `toStage` or the open "
            "stage it was closed from; its close date, reason and note are cleared."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.INVALID_STAGE_CHANGE,
        )

    class Arguments:
        id = graphene.ID(required=True)
        to_stage = graphene.String(description="An open stage's code.")

    opportunity = graphene.Field(Opportunity)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, id: str, to_stage: str | None = None
    ) -> dict[str, Any]:
        deal = services.reopen(
            access, deal_of(access, id), to_stage_code=to_stage or "", reason=reason_of(info)
        )
        return {"opportunity": services.get_deal(access, deal.pk)}
