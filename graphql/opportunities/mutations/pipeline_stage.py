"""pipelineStageAdd / Update / Remove: a BU localizes its pipeline."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.opportunities.types import Pipeline, PipelineStage
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import pipelines
from crm.tenants.opportunities.models import Pipeline as PipelineModel


def _pipeline(access: Access, pipeline: str | None) -> PipelineModel:
    pk = pk_of("Pipeline", pipeline, field="pipeline") if pipeline else None
    return pipelines.get_pipeline(access, pk)


def _reloaded(access: Access, pipeline: PipelineModel) -> PipelineModel:
    return PipelineModel.objects.prefetch_related("stages").get(pk=pipeline.pk)


STAGE_CODES = (
    ErrorCode.MALFORMED_ID,
    ErrorCode.NOT_FOUND,
    ErrorCode.INVALID_ARGUMENT,
    ErrorCode.UNKNOWN_LANGUAGE,
)


class PipelineStageAdd(CrmMutation):
    class Meta:
        description = (
            "Add the business unit's own stage to a pipeline, right after the open stage "
            "`after`, with its names and entry conditions."
        )
        error_codes = (*STAGE_CODES, ErrorCode.ALREADY_EXISTS)

    class Arguments:
        pipeline = graphene.ID(description="Pipeline:<pk>; the default pipeline otherwise.")
        code = graphene.String(required=True)
        after = graphene.String(required=True, description="The code of an open stage.")
        names = graphene.List(graphene.NonNull(TranslationInput), required=True)
        probability = graphene.Int(required=True)
        required_fields = graphene.List(graphene.NonNull(graphene.String))
        required_activities = graphene.List(graphene.NonNull(graphene.String))
        requires_approval = graphene.Boolean()

    pipeline = graphene.Field(Pipeline)
    stage = graphene.Field(PipelineStage)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        code: str,
        after: str,
        names: list[dict[str, str]],
        probability: int,
        pipeline: str | None = None,
        required_fields: list[str] | None = None,
        required_activities: list[str] | None = None,
        requires_approval: bool | None = None,
    ) -> dict[str, Any]:
        record = _pipeline(access, pipeline)
        stage = pipelines.stage_add(
            access,
            record,
            code=code,
            after=after,
            names=translations(names),
            probability=probability,
            required_fields=required_fields or [],
            required_activities=required_activities or [],
            requires_approval=bool(requires_approval),
        )
        return {"pipeline": _reloaded(access, record), "stage": stage}


class PipelineStageUpdate(CrmMutation):
    class Meta:
        description = (
            "Rename or translate a stage, change its probability or entry conditions; only a "
            "stage of the business unit's own may change its code (while no deal is in it)."
        )
        error_codes = (*STAGE_CODES, ErrorCode.ALREADY_EXISTS, ErrorCode.IN_USE)

    class Arguments:
        pipeline = graphene.ID(description="Pipeline:<pk>; the default pipeline otherwise.")
        stage = graphene.String(required=True, description="The stage's current code.")
        code = graphene.String()
        names = graphene.List(graphene.NonNull(TranslationInput))
        probability = graphene.Int()
        required_fields = graphene.List(graphene.NonNull(graphene.String))
        required_activities = graphene.List(graphene.NonNull(graphene.String))
        requires_approval = graphene.Boolean()

    pipeline = graphene.Field(Pipeline)
    stage = graphene.Field(PipelineStage)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        stage: str,
        pipeline: str | None = None,
        **changes: Any,
    ) -> dict[str, Any]:
        record = _pipeline(access, pipeline)
        updated = pipelines.stage_update(
            access,
            record,
            stage,
            code=changes.get("code"),
            names=translations(changes.get("names")),
            probability=changes.get("probability"),
            required_fields=changes.get("required_fields"),
            required_activities=changes.get("required_activities"),
            requires_approval=changes.get("requires_approval"),
        )
        return {"pipeline": _reloaded(access, record), "stage": updated}


class PipelineStageRemove(CrmMutation):
    class Meta:
        description = (
            "Remove a stage of the business unit's own (not one of the group's template) "
            "while no deal is in it."
        )
        error_codes = (*STAGE_CODES, ErrorCode.IN_USE)

    class Arguments:
        pipeline = graphene.ID(description="Pipeline:<pk>; the default pipeline otherwise.")
        stage = graphene.String(required=True)

    pipeline = graphene.Field(Pipeline)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        stage: str,
        pipeline: str | None = None,
    ) -> dict[str, Any]:
        record = _pipeline(access, pipeline)
        pipelines.stage_remove(access, record, stage)
        return {"pipeline": _reloaded(access, record)}
