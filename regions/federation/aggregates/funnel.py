"""The stage funnel per BU, pipeline, stage and period, for the group-wide funnel at HQ.

Each BU's deals are counted as in its own funnel (crm.tenants.performance.funnel), but over the
days and in the periods of HQ's time zone (the request carries the days `from` and `to`, the
granularity and the zone), so that every cell cuts the same periods. Rows carry codes, a stage's
configured name and counts only; a row is sent for a stage and period only where deals entered.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import translation

from crm.masterdata.sales.models import StageTemplate
from crm.platform.core.errors import CrmError
from crm.regions.federation.contract import Aggregate, ContractError, Field, Kind, register
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.models import Opportunity, Pipeline
from crm.tenants.performance.funnel import compute_funnel
from crm.tenants.performance.periods import Period, periods_between

COUNTS = ("entered", "converted", "won", "lost", "open")


def _date(value: Any, name: str) -> datetime.date:
    if not isinstance(value, str):
        raise ContractError(f"{name} must be an ISO date string")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ContractError(f"{name} is not an ISO date: {value!r}") from None


def funnel_range(
    parameters: Mapping[str, Any],
) -> tuple[datetime.date, datetime.date, list[Period], str]:
    """(from, to, periods, time zone) of a request; ContractError when they are not valid."""
    if set(parameters) != {"from", "to", "granularity", "time_zone"}:
        raise ContractError("funnel takes exactly `from`, `to`, `granularity` and `time_zone`")
    start, end = _date(parameters["from"], "from"), _date(parameters["to"], "to")
    zone = parameters["time_zone"]
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ContractError(f"unknown time zone {zone!r}") from None
    try:
        periods = periods_between(start, end, str(parameters["granularity"]))
    except CrmError as error:
        raise ContractError(f"{error.field}: {error.params.get('reason', '')}") from None
    return start, end, periods, str(zone)


class StageFunnel(Aggregate):
    name: ClassVar[str] = "funnel"
    row_fields: ClassVar[Mapping[str, Field]] = {
        "business_unit": Field(Kind.CODE),
        "pipeline": Field(Kind.CODE),
        "stage": Field(Kind.CODE),
        "stage_name": Field(Kind.LABEL),
        "stage_template": Field(Kind.CODE, nullable=True),
        "step": Field(Kind.COUNT),
        "period": Field(Kind.CODE),
        **{name: Field(Kind.COUNT) for name in COUNTS},
    }

    def clean_parameters(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        start, end, periods, zone = funnel_range(parameters)
        return {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "granularity": periods[0].kind,
            "time_zone": zone,
        }

    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        start, end, periods, zone = funnel_range(parameters)
        used = Opportunity.objects.values("pipeline_id").distinct()
        rows: list[dict[str, Any]] = []
        with translation.override(business_unit.language):
            for pipeline in Pipeline.objects.filter(pk__in=used).order_by("code"):
                funnel = compute_funnel(
                    pipeline.pk, periods=periods, start=start, end=end, time_zone=zone
                )
                templates = dict(
                    StageTemplate.objects.filter(
                        pk__in={s.stage.template_stage_id for s in funnel.stages}
                    ).values_list("pk", "code")
                )
                for period in periods:
                    for stage in funnel.stages:
                        figures = funnel.of(period, stage)
                        if not figures.entered:
                            continue
                        rows.append(
                            {
                                "business_unit": business_unit.code,
                                "pipeline": pipeline.code,
                                "stage": stage.code,
                                "stage_name": str(stage.stage.name)[:200],
                                "stage_template": templates.get(stage.stage.template_stage_id or 0),
                                "step": stage.step,
                                "period": period.code,
                                **{name: getattr(figures, name) for name in COUNTS},
                            }
                        )
        return rows


FUNNEL = register(StageFunnel())
