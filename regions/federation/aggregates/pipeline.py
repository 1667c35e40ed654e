"""Pipeline totals per BU, pipeline and stage, in the group currency, at one instant.

A deal keeps its amount converted to the group currency (`amount_group`, at the rate of its
expected close date; see `crm.tenants.opportunities.services`), so the totals are sums of stored
Decimals: no conversion happens here. A deal whose amount has no group value (no amount, or no
rate yet) is counted and reported in `without_group_amount`, never valued by a guess.

The request names the instant (`at`: the end of the reporting day where HQ is, the same for every
cell). If it is not past yet, the pipeline is the open deals in their current stage. For an
earlier instant it is rebuilt from each deal's trail: the stage a deal was in then (its last move
before it: created, moved, closed, reopened), counted if that stage is open. Amounts are today's
values: past amounts are not kept.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from moneyed import Money

from crm.masterdata.sales.models import StageKind, StageTemplate
from crm.platform.core.money import round_money
from crm.regions.federation.contract import (
    Aggregate,
    ContractError,
    Field,
    Kind,
    instant,
    money_text,
    register,
)
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.models import Opportunity, OpportunityEvent, Pipeline, Stage

MOVES = (
    OpportunityEvent.Kind.CREATED,
    OpportunityEvent.Kind.STAGE,
    OpportunityEvent.Kind.CLOSED,
    OpportunityEvent.Kind.REOPENED,
)


def open_deals_at(at: datetime.datetime) -> QuerySet[Opportunity]:
    """The deals (of the current BU schema) open at `at`, annotated with `stage_then` (code)."""
    if at >= timezone.now():
        return Opportunity.objects.filter(status=StageKind.OPEN).annotate(
            stage_then=F("stage_code")
        )
    last_move = (
        OpportunityEvent.objects.filter(opportunity_id=OuterRef("pk"), kind__in=MOVES, at__lt=at)
        .order_by("-at", "-id")
        .values("to_stage")[:1]
    )
    open_stage = Stage.objects.filter(
        pipeline_id=OuterRef("pipeline_id"), code=OuterRef("stage_then"), kind=StageKind.OPEN
    )
    return (
        Opportunity.objects.filter(created_at__lt=at)
        # A deal without any trail (loaded by an import) is taken in its current stage.
        .annotate(
            stage_then=Coalesce(Subquery(last_move), F("stage_code"), output_field=CharField())
        )
        .filter(Exists(open_stage))
    )


class PipelineTotals(Aggregate):
    name: ClassVar[str] = "pipeline"
    row_fields: ClassVar[Mapping[str, Field]] = {
        "business_unit": Field(Kind.CODE),
        "pipeline": Field(Kind.CODE),
        "stage": Field(Kind.CODE),
        "stage_name": Field(Kind.LABEL),
        "stage_template": Field(Kind.CODE, nullable=True),
        "position": Field(Kind.COUNT),
        "count": Field(Kind.COUNT),
        "amount": Field(Kind.MONEY),
        "without_group_amount": Field(Kind.COUNT),
    }

    def clean_parameters(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        if set(parameters) != {"at"}:
            raise ContractError("pipeline takes exactly `at`")
        return {"at": instant(parameters["at"], "at").isoformat()}

    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        currency = business_unit.group.currency
        totals = {
            (entry["pipeline_id"], entry["stage_at"]): entry
            for entry in open_deals_at(instant(parameters["at"], "at"))
            .values("pipeline_id", stage_at=F("stage_then"))
            .annotate(
                deals=Count("pk"),
                amount=Sum("amount_group"),
                without=Count("pk", filter=Q(amount_group=None)),
            )
            .order_by()
        }
        pipeline_ids = {pipeline_id for pipeline_id, _code in totals}
        pipelines = Pipeline.objects.filter(Q(active=True) | Q(pk__in=pipeline_ids))
        stages = list(
            Stage.objects.filter(pipeline__in=pipelines, kind=StageKind.OPEN)
            .select_related("pipeline")
            .order_by("pipeline__code", "position")
        )
        templates = dict(
            StageTemplate.objects.filter(
                pk__in={s.template_stage_id for s in stages if s.template_stage_id}
            ).values_list("pk", "code")
        )
        rows = []
        with translation.override(business_unit.language):
            for stage in stages:
                entry = totals.get((stage.pipeline_id, stage.code), {})
                amount = entry.get("amount") or Decimal(0)
                rows.append(
                    {
                        "business_unit": business_unit.code,
                        "pipeline": stage.pipeline.code,
                        "stage": stage.code,
                        "stage_name": str(stage.name)[:200],
                        "stage_template": templates.get(stage.template_stage_id or 0),
                        "position": stage.position,
                        "count": entry.get("deals", 0),
                        "amount": money_text(round_money(Money(amount, currency)).amount),
                        "without_group_amount": entry.get("without", 0),
                    }
                )
        return rows


PIPELINE = register(PipelineTotals())
