"""A business unit's default pipeline: the group's default template, localized.

`install_default_pipeline(business_unit)` runs on provisioning and on every cell migration
(`crm.tenants.setup`). It creates the BU's pipeline for the template when there is none, with
the template's stages (their template ids, translated names, probabilities and entry
conditions), and later only adds template stages the pipeline lacks (a stage HQ added since),
so a BU's renamed stages, changed conditions and extra stages are kept.
"""

from __future__ import annotations

from django.db import transaction

from crm.masterdata.sales.defaults import default_template
from crm.masterdata.sales.models import PipelineTemplate, StageTemplate
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.models import Pipeline, Stage

LANGUAGE_COLUMNS = ("name", "name_en", "name_de", "name_ja", "name_zh_hans")


def _names(source: PipelineTemplate | StageTemplate) -> dict[str, str]:
    return {column: getattr(source, column) or "" for column in LANGUAGE_COLUMNS}


def localize_template(template: PipelineTemplate, *, default: bool) -> Pipeline:
    """The BU's pipeline for `template` (created if missing), with every template stage."""
    with transaction.atomic():
        pipeline = Pipeline.objects.filter(template_id=template.pk).first()
        if pipeline is None:
            code = template.code
            if Pipeline.objects.filter(code=code).exists():
                code = f"{template.code}-{template.pk}"[:40]
            pipeline = Pipeline.objects.create(
                code=code,
                template_id=template.pk,
                is_default=default and not Pipeline.objects.filter(is_default=True).exists(),
                **_names(template),
            )
        existing = list(Stage.objects.filter(pipeline=pipeline))
        have = {stage.template_stage_id for stage in existing}
        codes = {stage.code for stage in existing}
        positions = {stage.position for stage in existing}
        for spec in StageTemplate.objects.filter(template=template).order_by("position"):
            if spec.pk in have or spec.code in codes:
                continue
            position = spec.position
            while position in positions:
                position += 1
            Stage.objects.create(
                pipeline=pipeline,
                code=spec.code,
                position=position,
                kind=spec.kind,
                probability=spec.probability,
                template_stage_id=spec.pk,
                required_fields=list(spec.required_fields),
                required_activities=list(spec.required_activities),
                requires_approval=spec.requires_approval,
                **_names(spec),
            )
            positions.add(position)
    return pipeline


def install_default_pipeline(business_unit: BusinessUnit) -> None:
    template = default_template(business_unit.group_id)
    if template is not None:
        localize_template(template, default=True)
