"""pipelineTemplateSet: HQ writes a pipeline template with its whole list of stages."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.salessetup.types import PipelineTemplate, StageKind
from crm.masterdata.sales import services
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class StageTemplateInput(graphene.InputObjectType):
    code = graphene.String(required=True)
    names = graphene.List(
        graphene.NonNull(TranslationInput), description="Required for a new stage."
    )
    position = graphene.Int(required=True, description="Unique in the template.")
    kind = StageKind(description="OPEN by default; exactly one WON and one LOST stage.")
    probability = graphene.Int(required=True, description="Default win probability, 0–100.")
    required_fields = graphene.List(graphene.NonNull(graphene.String))
    required_activities = graphene.List(graphene.NonNull(graphene.String))
    requires_approval = graphene.Boolean()


class PipelineTemplateSet(CrmMutation):
    class Meta:
        description = (
            "Create or replace a pipeline template of the group with its stages: stages are "
            "matched by code, those left out are removed from the template."
        )
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.UNKNOWN_LANGUAGE)

    class Arguments:
        code = graphene.String(required=True)
        names = graphene.List(graphene.NonNull(TranslationInput))
        stages = graphene.List(graphene.NonNull(StageTemplateInput), required=True)

    pipeline_template = graphene.Field(PipelineTemplate)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        code: str,
        stages: list[dict[str, Any]],
        names: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        specs = [
            services.StageInput(
                code=stage["code"],
                position=stage["position"],
                probability=stage["probability"],
                names=translations(stage.get("names")),
                kind=str(getattr(stage.get("kind"), "value", stage.get("kind")) or "OPEN"),
                required_fields=list(stage.get("required_fields") or []),
                required_activities=list(stage.get("required_activities") or []),
                requires_approval=bool(stage.get("requires_approval")),
            )
            for stage in stages
        ]
        template = services.pipeline_template_set(
            access, code=code, names=translations(names), stages=specs
        )
        return {"pipeline_template": template}
