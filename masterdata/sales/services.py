"""HQ edits the group's sales setup: lead sources, pipeline templates, the scorecard, close
reasons. Each write is checked by the policy (`sales_setup`), validated as a whole and atomic.

- Lead sources and close reasons are created or updated by code (`*_set`).
- A pipeline template is written with its whole list of stages (created, updated by code, and
  stages left out removed). Stage positions and codes are unique, probabilities 0–100, and the
  WON and LOST stages exist exactly once each, with at least one open stage before them. BU
  pipelines already localized keep their copies as they are (a stage removed from the template
  stays in them, still marked as the template's; a stage added reaches each BU pipeline with
  the next installer run, on the next cell migration).
- The scorecard is written as a whole: criteria by code (those left out are deactivated, not
  deleted, so past answers keep their meaning) with weights > 0 and a max rating 1–100, and
  the bands replaced: ascending minimum scores starting at 0, probabilities 0–100 that never
  decrease as the score rises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from crm.masterdata.sales.access import SALES_SETUP
from crm.masterdata.sales.models import (
    CloseReason,
    LeadSource,
    PipelineTemplate,
    ProbabilityBand,
    ScoreCriterion,
    StageKind,
    StageTemplate,
)
from crm.masterdata.services import set_translations
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.contacts.models import ActivityKind

NAME_LENGTH = 200
MAX_STAGES = 30


def _invalid(field_name: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=field_name, reason=reason)


def _code(value: str, field_name: str = "code", *, upper: bool = False) -> str:
    code = (value or "").strip()
    if upper:
        code = code.upper()
    if not code or len(code) > 40 or not all(ch.isalnum() or ch in "_-" for ch in code):
        raise _invalid(field_name, "1 to 40 letters, digits, _ or -")
    return code


def _require(access: Access, action: str) -> None:
    access.require(action, SALES_SETUP)


def _group_id(access: Access) -> int:
    group_id: int = access.business_unit.group_id
    return group_id


# -- lead sources ---------------------------------------------------------------------------


def lead_source_set(
    access: Access, *, code: str, names: Mapping[str, str] | None = None, active: bool | None = None
) -> LeadSource:
    code = _code(code, upper=True)
    with transaction.atomic():
        source = (
            LeadSource.objects.select_for_update()
            .filter(group_id=_group_id(access), code=code)
            .first()
        )
        if source is None:
            _require(access, Action.CREATE)
            if not names:
                raise _invalid("names", "give a name in one language")
            source = LeadSource(group_id=_group_id(access), code=code)
        else:
            _require(access, Action.EDIT)
        if names:
            set_translations(source, "name", names, limit=NAME_LENGTH)
        if active is not None:
            source.active = active
        source.save()
    return source


# -- close reasons --------------------------------------------------------------------------


def close_reason_set(
    access: Access, *, kind: str, code: str, names: Mapping[str, str] | None = None
) -> CloseReason:
    kind = (kind or "").upper()
    if kind not in (StageKind.WON, StageKind.LOST):
        raise _invalid("kind", "WON or LOST")
    code = _code(code, upper=True)
    with transaction.atomic():
        reason = (
            CloseReason.objects.select_for_update()
            .filter(group_id=_group_id(access), kind=kind, code=code)
            .first()
        )
        if reason is None:
            _require(access, Action.CREATE)
            if not names:
                raise _invalid("names", "give a name in one language")
            reason = CloseReason(group_id=_group_id(access), kind=kind, code=code)
        else:
            _require(access, Action.EDIT)
        if names:
            set_translations(reason, "name", names, limit=NAME_LENGTH)
        reason.save()
    return reason


# -- pipeline templates ---------------------------------------------------------------------


@dataclass
class StageInput:
    code: str
    position: int
    probability: int
    names: Mapping[str, str] = field(default_factory=dict)
    kind: str = StageKind.OPEN
    required_fields: Sequence[str] = ()
    required_activities: Sequence[str] = ()
    requires_approval: bool = False


def check_conditions(
    prefix: str, required_fields: Sequence[str], required_activities: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Entry conditions in their stored form, or INVALID_ARGUMENT naming the bad entry."""
    fields_out: list[str] = []
    for index, name in enumerate(required_fields):
        clean = (name or "").strip()
        if not clean or len(clean) > 60:
            raise _invalid(f"{prefix}.requiredFields.{index}", "a field name, 1 to 60 characters")
        if clean not in fields_out:
            fields_out.append(clean)
    kinds: list[str] = []
    for index, kind in enumerate(required_activities):
        clean = (kind or "").strip().upper()
        if clean not in ActivityKind.values:
            raise _invalid(
                f"{prefix}.requiredActivities.{index}",
                f"one of {', '.join(ActivityKind.values)}",
            )
        if clean not in kinds:
            kinds.append(clean)
    return fields_out, kinds


def check_probability(value: int, field_name: str) -> int:
    if not 0 <= value <= 100:
        raise _invalid(field_name, "from 0 to 100")
    return value


def _check_stages(stages: Sequence[StageInput]) -> None:
    if not stages or len(stages) > MAX_STAGES:
        raise _invalid("stages", f"1 to {MAX_STAGES} stages")
    codes: set[str] = set()
    positions: set[int] = set()
    for index, stage in enumerate(stages):
        prefix = f"stages.{index}"
        stage.code = _code(stage.code, f"{prefix}.code").lower()
        if stage.code in codes:
            raise _invalid(f"{prefix}.code", f"code {stage.code} appears twice")
        codes.add(stage.code)
        if stage.position < 0:
            raise _invalid(f"{prefix}.position", "0 or more")
        if stage.position in positions:
            raise _invalid(f"{prefix}.position", f"position {stage.position} appears twice")
        positions.add(stage.position)
        check_probability(stage.probability, f"{prefix}.probability")
        stage.kind = (stage.kind or StageKind.OPEN).upper()
        if stage.kind not in StageKind.values:
            raise _invalid(f"{prefix}.kind", "OPEN, WON or LOST")
        stage.required_fields, stage.required_activities = check_conditions(
            prefix, stage.required_fields, stage.required_activities
        )
    for kind in (StageKind.WON, StageKind.LOST):
        count = sum(1 for stage in stages if stage.kind == kind)
        if count != 1:
            raise _invalid("stages", f"exactly one {kind} stage (found {count})")
    ordered = sorted(stages, key=lambda s: s.position)
    opens = [i for i, s in enumerate(ordered) if s.kind == StageKind.OPEN]
    if not opens:
        raise _invalid("stages", "at least one open stage")
    if any(s.kind != StageKind.OPEN for s in ordered[: opens[-1]]):
        raise _invalid("stages", "the WON and LOST stages come after every open stage")


def pipeline_template_set(
    access: Access,
    *,
    code: str,
    names: Mapping[str, str] | None,
    stages: Sequence[StageInput],
) -> PipelineTemplate:
    code = _code(code).lower()
    _check_stages(stages)
    with transaction.atomic():
        template = (
            PipelineTemplate.objects.select_for_update()
            .filter(group_id=_group_id(access), code=code)
            .first()
        )
        if template is None:
            _require(access, Action.CREATE)
            if not names:
                raise _invalid("names", "give a name in one language")
            template = PipelineTemplate(group_id=_group_id(access), code=code)
        else:
            _require(access, Action.EDIT)
        if names:
            set_translations(template, "name", names, limit=NAME_LENGTH)
        template.save()
        existing = {s.code: s for s in StageTemplate.objects.filter(template=template)}
        wanted = {s.code for s in stages}
        StageTemplate.objects.filter(template=template).exclude(code__in=wanted).delete()
        for index, spec in enumerate(stages):
            record = existing.get(spec.code) or StageTemplate(template=template, code=spec.code)
            if record.pk is None and not spec.names:
                raise _invalid(f"stages.{index}.names", "give a name in one language")
            if spec.names:
                set_translations(record, "name", spec.names, limit=NAME_LENGTH)
            record.position = spec.position
            record.kind = spec.kind
            record.probability = spec.probability
            record.required_fields = list(spec.required_fields)
            record.required_activities = list(spec.required_activities)
            record.requires_approval = spec.requires_approval
            record.save()
    return template


# -- scorecard ------------------------------------------------------------------------------


@dataclass
class CriterionInput:
    code: str
    weight: int
    names: Mapping[str, str] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)
    max_rating: int = 5
    position: int | None = None
    active: bool = True


@dataclass(frozen=True)
class BandInput:
    min_score: int
    probability: int


def _check_bands(bands: Sequence[BandInput]) -> None:
    if not bands:
        raise _invalid("bands", "at least one band, the first from score 0")
    previous: BandInput | None = None
    for index, band in enumerate(bands):
        prefix = f"bands.{index}"
        if not 0 <= band.min_score <= 100:
            raise _invalid(f"{prefix}.minScore", "from 0 to 100")
        check_probability(band.probability, f"{prefix}.probability")
        if previous is None and band.min_score != 0:
            raise _invalid(f"{prefix}.minScore", "the first band starts at 0")
        if previous is not None:
            if band.min_score <= previous.min_score:
                raise _invalid(f"{prefix}.minScore", "bands in ascending order of score")
            if band.probability < previous.probability:
                raise _invalid(
                    f"{prefix}.probability", "a higher score never gives a lower probability"
                )
        previous = band


def scorecard_set(
    access: Access, *, criteria: Sequence[CriterionInput], bands: Sequence[BandInput]
) -> None:
    if not criteria:
        raise _invalid("criteria", "at least one criterion")
    seen: set[str] = set()
    for index, criterion in enumerate(criteria):
        prefix = f"criteria.{index}"
        criterion.code = _code(criterion.code, f"{prefix}.code", upper=True)
        if criterion.code in seen:
            raise _invalid(f"{prefix}.code", f"code {criterion.code} appears twice")
        seen.add(criterion.code)
        if criterion.weight <= 0 or criterion.weight > 1000:
            raise _invalid(f"{prefix}.weight", "from 1 to 1000")
        if not 1 <= criterion.max_rating <= 100:
            raise _invalid(f"{prefix}.maxRating", "from 1 to 100")
    if not any(c.active for c in criteria):
        raise _invalid("criteria", "at least one active criterion")
    _check_bands(bands)
    group_id = _group_id(access)
    with transaction.atomic():
        existing = {
            c.code: c for c in ScoreCriterion.objects.select_for_update().filter(group_id=group_id)
        }
        _require(access, Action.EDIT if existing else Action.CREATE)
        for index, spec in enumerate(criteria):
            record = existing.get(spec.code) or ScoreCriterion(group_id=group_id, code=spec.code)
            if record.pk is None and not spec.names:
                raise _invalid(f"criteria.{index}.names", "give a name in one language")
            if spec.names:
                set_translations(record, "name", spec.names, limit=NAME_LENGTH)
            if spec.descriptions:
                set_translations(record, "description", spec.descriptions, limit=2000)
            record.weight = spec.weight
            record.max_rating = spec.max_rating
            record.position = spec.position if spec.position is not None else (index + 1) * 10
            record.active = spec.active
            record.save()
        ScoreCriterion.objects.filter(group_id=group_id).exclude(code__in=seen).update(active=False)
        ProbabilityBand.objects.filter(group_id=group_id).delete()
        ProbabilityBand.objects.bulk_create(
            ProbabilityBand(group_id=group_id, min_score=b.min_score, probability=b.probability)
            for b in bands
        )
