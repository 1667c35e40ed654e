"""GraphQL types of the group's sales setup: lead sources, pipeline templates, the scorecard and
close reasons, with names in the request's language and every translation."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.customfields.types import Translation, translations_of
from crm.graphql.masterdata.types import text_chain
from crm.i18n import languages
from crm.masterdata.sales import models

StageKind = graphene.Enum.from_enum(models.StageKind)
CloseKind = graphene.Enum("CloseKind", [("WON", "WON"), ("LOST", "LOST")])


def _name(root: Any, info: graphene.ResolveInfo, field: str = "name") -> str:
    return languages.translated(root, field, text_chain(info))


class LeadSource(graphene.ObjectType):
    """A channel leads come from (e.g. TRADE_FAIR), defined by the group."""

    code = graphene.String(required=True)
    name = graphene.String(required=True, description="In the request's language.")
    names = graphene.List(graphene.NonNull(Translation), required=True)
    active = graphene.Boolean(required=True)

    @staticmethod
    def resolve_name(root: models.LeadSource, info: graphene.ResolveInfo) -> str:
        return _name(root, info)

    @staticmethod
    def resolve_names(root: models.LeadSource, _info: graphene.ResolveInfo) -> list[Translation]:
        return translations_of(root, "name")


class StageTemplate(graphene.ObjectType):
    """A stage of the group's process, with its entry conditions."""

    code = graphene.String(required=True)
    name = graphene.String(required=True, description="In the request's language.")
    names = graphene.List(graphene.NonNull(Translation), required=True)
    position = graphene.Int(required=True)
    kind = graphene.Field(StageKind, required=True)
    probability = graphene.Int(required=True, description="Default win probability, %.")
    required_fields = graphene.List(graphene.NonNull(graphene.String), required=True)
    required_activities = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Activity kinds; one of them logged on the deal suffices.",
    )
    requires_approval = graphene.Boolean(required=True)

    @staticmethod
    def resolve_name(root: models.StageTemplate, info: graphene.ResolveInfo) -> str:
        return _name(root, info)

    @staticmethod
    def resolve_names(root: models.StageTemplate, _info: graphene.ResolveInfo) -> list[Translation]:
        return translations_of(root, "name")

    @staticmethod
    def resolve_kind(root: models.StageTemplate, _info: graphene.ResolveInfo) -> object:
        return models.StageKind(root.kind)


class PipelineTemplate(graphene.ObjectType):
    """The group's sales process, localized by every BU into its own pipeline."""

    code = graphene.String()
    name = graphene.String(description="In the request's language.")
    names = graphene.List(graphene.NonNull(Translation), required=True)
    stages = graphene.List(graphene.NonNull(StageTemplate))

    @staticmethod
    def resolve_name(root: models.PipelineTemplate, info: graphene.ResolveInfo) -> str:
        return _name(root, info)

    @staticmethod
    def resolve_names(
        root: models.PipelineTemplate, _info: graphene.ResolveInfo
    ) -> list[Translation]:
        return translations_of(root, "name")

    @staticmethod
    def resolve_stages(
        root: models.PipelineTemplate, _info: graphene.ResolveInfo
    ) -> list[models.StageTemplate]:
        return sorted(root.stages.all(), key=lambda s: s.position)


class ScoreCriterion(graphene.ObjectType):
    """A criterion of the win scorecard, rated 0..maxRating; its weight counts in the score."""

    code = graphene.String(required=True)
    name = graphene.String(required=True, description="In the request's language.")
    names = graphene.List(graphene.NonNull(Translation), required=True)
    description = graphene.String(required=True, description="In the request's language.")
    weight = graphene.Int(required=True)
    max_rating = graphene.Int(required=True)
    position = graphene.Int(required=True)
    active = graphene.Boolean(required=True)

    @staticmethod
    def resolve_name(root: models.ScoreCriterion, info: graphene.ResolveInfo) -> str:
        return _name(root, info)

    @staticmethod
    def resolve_description(root: models.ScoreCriterion, info: graphene.ResolveInfo) -> str:
        return _name(root, info, "description")

    @staticmethod
    def resolve_names(
        root: models.ScoreCriterion, _info: graphene.ResolveInfo
    ) -> list[Translation]:
        return translations_of(root, "name")


class ProbabilityBand(graphene.ObjectType):
    """From `minScore` upward (to the next band), a deal's win probability is `probability` %."""

    min_score = graphene.Int(required=True)
    probability = graphene.Int(required=True)


class Scorecard(graphene.ObjectType):
    """score = Σ(weight × rating / maxRating) / Σ weight × 100 over the active criteria
    (unanswered = 0), rounded half up; the probability is that of the highest band whose
    minScore the score reaches."""

    criteria = graphene.List(graphene.NonNull(ScoreCriterion), required=True)
    bands = graphene.List(graphene.NonNull(ProbabilityBand), required=True)


class CloseReason(graphene.ObjectType):
    """Why deals are won or lost."""

    kind = graphene.Field(CloseKind, required=True)
    code = graphene.String(required=True)
    name = graphene.String(required=True, description="In the request's language.")
    names = graphene.List(graphene.NonNull(Translation), required=True)

    @staticmethod
    def resolve_name(root: models.CloseReason, info: graphene.ResolveInfo) -> str:
        return _name(root, info)

    @staticmethod
    def resolve_names(root: models.CloseReason, _info: graphene.ResolveInfo) -> list[Translation]:
        return translations_of(root, "name")

    @staticmethod
    def resolve_kind(root: models.CloseReason, _info: graphene.ResolveInfo) -> str:
        return str(root.kind)
