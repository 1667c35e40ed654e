"""opportunityApproveStage: a manager approves a deal's entry into a stage that needs it."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.opportunities.mutations.base import DealMutation, deal_of
from crm.graphql.opportunities.types import Opportunity
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services


class OpportunityApproveStage(DealMutation):
    class Meta:
        description = (
            "Approve an open deal's entry into a later stage that requires approval; the "
            "approval is used by the move that enters the stage."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        stage = graphene.String(required=True, description="The stage code.")
        note = graphene.String()

    opportunity = graphene.Field(Opportunity)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        stage: str,
        note: str | None = None,
    ) -> dict[str, Any]:
        approval = services.approve_stage(access, deal_of(access, id), stage, note or "")
        return {"opportunity": services.get_deal(access, approval.opportunity_id)}
