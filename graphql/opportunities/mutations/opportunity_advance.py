"""opportunityAdvance: move an open deal to another open stage (forward through the entry
conditions of every stage entered, or back)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.opportunities.mutations.base import DealMutation, deal_of, reason_of
from crm.graphql.opportunities.types import Opportunity
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services


class OpportunityAdvance(DealMutation):
    class Meta:
        description = (
            "Move an open deal to another open stage of its pipeline. Forward, every stage "
            "entered must meet its entry conditions (STAGE_CONDITIONS_NOT_MET names the stage "
            "and what is missing: field names, `activity:VISIT|MEETING`, `approval`); back "
            "needs the retreat permission. Closing is opportunityClose."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.STAGE_CONDITIONS_NOT_MET,
            ErrorCode.INVALID_STAGE_CHANGE,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        to_stage = graphene.String(required=True, description="The stage code.")

    opportunity = graphene.Field(Opportunity)
    blocked_stage = graphene.String(description="With STAGE_CONDITIONS_NOT_MET: the stage.")
    missing = graphene.List(
        graphene.NonNull(graphene.String),
        description="With STAGE_CONDITIONS_NOT_MET: what that stage still needs.",
    )

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, id: str, to_stage: str
    ) -> dict[str, Any]:
        deal = services.advance(access, deal_of(access, id), to_stage, reason_of(info))
        return {"opportunity": services.get_deal(access, deal.pk)}
