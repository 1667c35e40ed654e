"""A business unit localizes its pipelines: translated stage names, its own entry conditions and
extra stages between the group's.

A stage copied from the group's template (`template_stage_id`) keeps its code (the policy's
stage-based rules and reports across BUs rely on it) and cannot be removed; its names,
probability and entry conditions are the BU's to change. An extra stage is the BU's own: it
comes after an open stage and before the closing ones, and can be removed while no deal is in
it (IN_USE otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction

from crm.masterdata.sales.models import StageKind
from crm.masterdata.sales.services import check_conditions, check_probability
from crm.masterdata.services import set_translations
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.customfields.services import definitions
from crm.tenants.opportunities.access import PIPELINE
from crm.tenants.opportunities.models import Opportunity, Pipeline, Stage
from crm.tenants.opportunities.services import BUILT_IN_FIELDS

UNSET: object = object()


def _invalid(field: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=reason)


def visible_pipelines(access: Access) -> list[Pipeline]:
    pipelines = access.visible(PIPELINE, Pipeline.objects.all()).order_by("-is_default", "code")
    return list(pipelines.prefetch_related("stages"))


def get_pipeline(access: Access, pk: int | None, *, field: str = "pipeline") -> Pipeline:
    """The pipeline `pk` (the default one without it), if the principal may view it."""
    queryset = access.visible(PIPELINE, Pipeline.objects.all())
    found = (
        queryset.filter(pk=pk).first()
        if pk is not None
        else queryset.filter(is_default=True).first()
    )
    if found is None:
        raise CrmError(
            ErrorCode.NOT_FOUND, field=field, object="pipeline", id=pk if pk else "default"
        )
    return found


def _stage(pipeline: Pipeline, code: str, field: str = "stage") -> Stage:
    found = (
        Stage.objects.select_for_update()
        .filter(pipeline=pipeline, code=(code or "").strip())
        .first()
    )
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="stage", id=code)
    return found


def _checked_fields(
    fields: Sequence[str], activities: Sequence[str]
) -> tuple[list[str], list[str]]:
    required_fields, required_activities = check_conditions("", fields, activities)
    custom = definitions("opportunity")
    for index, name in enumerate(required_fields):
        code = name.removeprefix("customFields.")
        if name not in BUILT_IN_FIELDS and code not in custom:
            raise _invalid(
                f"requiredFields.{index}",
                f"a deal field ({', '.join(BUILT_IN_FIELDS)}) or a custom field code",
            )
    return required_fields, required_activities


def _renumber(pipeline: Pipeline, ordered: list[Stage]) -> None:
    """Give `ordered` positions 10, 20, … (two steps, the position being unique)."""
    offset = 100_000
    for stage in ordered:
        if stage.pk is not None:
            Stage.objects.filter(pk=stage.pk).update(position=stage.position + offset)
    for index, stage in enumerate(ordered):
        stage.position = (index + 1) * 10
        if stage.pk is not None:
            Stage.objects.filter(pk=stage.pk).update(position=stage.position)


def stage_add(
    access: Access,
    pipeline: Pipeline,
    *,
    code: str,
    after: str,
    names: Mapping[str, str],
    probability: int,
    required_fields: Sequence[str] = (),
    required_activities: Sequence[str] = (),
    requires_approval: bool = False,
) -> Stage:
    """An extra open stage right after the open stage `after`."""
    access.require(Action.EDIT, pipeline, ["stages"])
    clean_code = (code or "").strip().lower()
    if (
        not clean_code
        or len(clean_code) > 40
        or not all(c.isalnum() or c in "_-" for c in clean_code)
    ):
        raise _invalid("code", "1 to 40 letters, digits, _ or -")
    check_probability(probability, "probability")
    fields, activities = _checked_fields(required_fields, required_activities)
    if not names:
        raise _invalid("names", "give a name in one language")
    with transaction.atomic():
        Pipeline.objects.select_for_update().filter(pk=pipeline.pk).first()
        stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
        if any(s.code == clean_code for s in stages):
            raise CrmError(ErrorCode.ALREADY_EXISTS, field="code", object="stage", value=clean_code)
        previous = next((s for s in stages if s.code == after), None)
        if previous is None:
            raise CrmError(ErrorCode.NOT_FOUND, field="after", object="stage", id=after)
        if previous.kind != StageKind.OPEN:
            raise _invalid("after", "an open stage: closing stages come last")
        stage = Stage(
            pipeline=pipeline,
            code=clean_code,
            kind=StageKind.OPEN,
            probability=probability,
            required_fields=fields,
            required_activities=activities,
            requires_approval=requires_approval,
            position=0,
        )
        set_translations(stage, "name", names, limit=200)
        index = stages.index(previous) + 1
        following = stages[index] if index < len(stages) else None
        if following is None or following.position - previous.position > 1:
            stage.position = previous.position + (
                (following.position - previous.position) // 2 if following else 10
            )
        else:
            ordered = [*stages[:index], stage, *stages[index:]]
            _renumber(pipeline, ordered)
        stage.save()
    return stage


def stage_update(
    access: Access,
    pipeline: Pipeline,
    stage_code: str,
    *,
    code: str | None = None,
    names: Mapping[str, str] | None = None,
    probability: int | None = None,
    required_fields: Sequence[str] | None = None,
    required_activities: Sequence[str] | None = None,
    requires_approval: bool | None = None,
) -> Stage:
    """Rename, translate or change the conditions of a stage; only an extra stage's code may
    change (and only while no deal is in it)."""
    access.require(Action.EDIT, pipeline, ["stages"])
    with transaction.atomic():
        stage = _stage(pipeline, stage_code)
        if code is not None and code.strip().lower() != stage.code:
            new_code = code.strip().lower()
            if stage.template_stage_id is not None:
                raise _invalid("code", "the code of a stage of the group's template is fixed")
            if (
                not new_code
                or len(new_code) > 40
                or not all(c.isalnum() or c in "_-" for c in new_code)
            ):
                raise _invalid("code", "1 to 40 letters, digits, _ or -")
            if Stage.objects.filter(pipeline=pipeline, code=new_code).exists():
                raise CrmError(
                    ErrorCode.ALREADY_EXISTS, field="code", object="stage", value=new_code
                )
            if Opportunity.objects.filter(stage=stage).exists():
                raise CrmError(ErrorCode.IN_USE, field="code", object="stage", id=stage.code)
            stage.code = new_code
        if names:
            set_translations(stage, "name", names, limit=200)
        if probability is not None:
            if stage.kind != StageKind.OPEN:
                raise _invalid("probability", "a closing stage's probability is fixed")
            stage.probability = check_probability(probability, "probability")
        if required_fields is not None or required_activities is not None:
            fields, activities = _checked_fields(
                stage.required_fields if required_fields is None else required_fields,
                stage.required_activities if required_activities is None else required_activities,
            )
            stage.required_fields, stage.required_activities = fields, activities
        if requires_approval is not None:
            stage.requires_approval = requires_approval
        stage.save()
    return stage


def stage_remove(access: Access, pipeline: Pipeline, stage_code: str) -> None:
    access.require(Action.EDIT, pipeline, ["stages"])
    with transaction.atomic():
        stage = _stage(pipeline, stage_code)
        if stage.template_stage_id is not None:
            raise _invalid("stage", "a stage of the group's template cannot be removed")
        if Opportunity.objects.filter(stage=stage).exists():
            raise CrmError(ErrorCode.IN_USE, field="stage", object="stage", id=stage.code)
        stage.delete()
