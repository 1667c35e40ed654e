"""opportunityClose: close an open deal as won or lost, with a close reason of that kind."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.opportunities.mutations.base import DealMutation, deal_of
from crm.graphql.opportunities.types import Opportunity
from crm.graphql.salessetup.types import CloseKind
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services


class OpportunityClose(DealMutation):
    class Meta:
        description = (
            "Close an open deal: WON (the entry conditions of every stage still ahead apply) "
            "or LOST (from any stage). `closeReason` is the code of one of the group's close "
            "reasons of that kind. The amounts are then converted at the close date's rate."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.STAGE_CONDITIONS_NOT_MET,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        outcome = CloseKind(required=True)
        close_reason = graphene.String(required=True, description="e.g. PRICE, COMPETITOR")
        note = graphene.String()

    opportunity = graphene.Field(Opportunity)
    blocked_stage = graphene.String(description="With STAGE_CONDITIONS_NOT_MET: the stage.")
    missing = graphene.List(
        graphene.NonNull(graphene.String),
        description="With STAGE_CONDITIONS_NOT_MET: what that stage still needs.",
    )

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        outcome: Any,
        close_reason: str,
        note: str | None = None,
    ) -> dict[str, Any]:
        deal = services.close(
            access,
            deal_of(access, id),
            outcome=str(getattr(outcome, "value", outcome)),
            reason_code=close_reason,
            note=note or "",
        )
        return {"opportunity": services.get_deal(access, deal.pk)}
