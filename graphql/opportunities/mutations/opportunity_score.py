"""opportunityScore: rate a deal on the group's scorecard; score and probability follow."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.opportunities.mutations.base import DealMutation, deal_of
from crm.graphql.opportunities.types import Opportunity
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services


class ScoreAnswerInput(graphene.InputObjectType):
    criterion = graphene.String(required=True, description="The criterion's code.")
    rating = graphene.Int(required=True, description="0 to the criterion's max rating.")
    note = graphene.String()


class OpportunityScore(DealMutation):
    class Meta:
        description = (
            "Rate an open deal on criteria of the group's scorecard (others keep their rating; "
            "unanswered count 0). score = Σ(weight × rating / maxRating) / Σ weight × 100, "
            "rounded half up; the probability becomes that of the score's band. The move is "
            "kept in the deal's events (kind SCORE)."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        answers = graphene.List(graphene.NonNull(ScoreAnswerInput), required=True)

    opportunity = graphene.Field(Opportunity)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        answers: list[dict[str, Any]],
    ) -> dict[str, Any]:
        deal = services.score(
            access,
            deal_of(access, id),
            [
                services.Answer(a["criterion"], int(a["rating"]), a.get("note") or "")
                for a in answers
            ],
        )
        return {"opportunity": services.get_deal(access, deal.pk)}
