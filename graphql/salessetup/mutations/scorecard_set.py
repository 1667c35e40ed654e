"""scorecardSet: HQ writes the win scorecard: criteria with weights, and probability bands."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.salessetup.types import Scorecard
from crm.masterdata.sales import models, services
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class ScoreCriterionInput(graphene.InputObjectType):
    code = graphene.String(required=True)
    names = graphene.List(
        graphene.NonNull(TranslationInput), description="Required for a new criterion."
    )
    descriptions = graphene.List(graphene.NonNull(TranslationInput))
    weight = graphene.Int(required=True, description="1–1000")
    max_rating = graphene.Int(default_value=5, description="1–100")
    position = graphene.Int()
    active = graphene.Boolean(default_value=True)


class ProbabilityBandInput(graphene.InputObjectType):
    min_score = graphene.Int(required=True)
    probability = graphene.Int(required=True)


class ScorecardSet(CrmMutation):
    class Meta:
        description = (
            "Write the group's scorecard: criteria by code (those left out are deactivated) and "
            "the probability bands (replaced; ascending scores from 0)."
        )
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.UNKNOWN_LANGUAGE)

    class Arguments:
        criteria = graphene.List(graphene.NonNull(ScoreCriterionInput), required=True)
        bands = graphene.List(graphene.NonNull(ProbabilityBandInput), required=True)

    scorecard = graphene.Field(Scorecard)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        criteria: list[dict[str, Any]],
        bands: list[dict[str, Any]],
    ) -> dict[str, Any]:
        services.scorecard_set(
            access,
            criteria=[
                services.CriterionInput(
                    code=entry["code"],
                    weight=entry["weight"],
                    names=translations(entry.get("names")),
                    descriptions=translations(entry.get("descriptions")),
                    max_rating=entry.get("max_rating") or 5,
                    position=entry.get("position"),
                    active=entry.get("active", True) is not False,
                )
                for entry in criteria
            ],
            bands=[services.BandInput(b["min_score"], b["probability"]) for b in bands],
        )
        group_id = access.business_unit.group_id
        return {
            "scorecard": {
                "criteria": list(
                    models.ScoreCriterion.objects.filter(group_id=group_id).order_by(
                        "position", "code"
                    )
                ),
                "bands": list(
                    models.ProbabilityBand.objects.filter(group_id=group_id).order_by("min_score")
                ),
            }
        }
