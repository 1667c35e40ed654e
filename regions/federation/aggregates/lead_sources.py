"""Leads per source and BU over a period: how many came in, are still open, were converted,
were marked invalid, and became deals that were won.

A lead counts in the period when it was created on a day from `from` to `to` (both included)
where its BU is. Sources are the group's lead-source codes (master data), so every BU's channels
line up in one list; a lead without a source, or with a source this cell does not know, counts
under no source (null) rather than being left out.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, ClassVar

from django.db.models import Count, Exists, OuterRef, Q

from crm.masterdata.sales.models import LeadSource, StageKind
from crm.regions.federation.aggregates.pipeline import end_of_day
from crm.regions.federation.contract import Aggregate, ContractError, Field, Kind, register
from crm.tenants.leads.models import OPEN_LEAD_STATUSES, Lead, LeadStatus
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.models import Opportunity

# A period longer than this is refused: a group-wide count over decades is a mistake.
MAX_DAYS = 3660


def period(parameters: Mapping[str, Any]) -> tuple[datetime.date, datetime.date]:
    try:
        start = datetime.date.fromisoformat(str(parameters["from"]))
        end = datetime.date.fromisoformat(str(parameters["to"]))
    except (KeyError, ValueError):
        raise ContractError("lead_sources needs `from` and `to` as ISO dates") from None
    if start > end:
        raise ContractError("`from` is after `to`")
    if (end - start).days > MAX_DAYS:
        raise ContractError(f"the period is longer than {MAX_DAYS} days")
    return start, end


class LeadSourceCounts(Aggregate):
    name: ClassVar[str] = "lead_sources"
    row_fields: ClassVar[Mapping[str, Field]] = {
        "business_unit": Field(Kind.CODE),
        "source": Field(Kind.CODE, nullable=True),
        "leads": Field(Kind.COUNT),
        "open": Field(Kind.COUNT),
        "converted": Field(Kind.COUNT),
        "invalid": Field(Kind.COUNT),
        "won": Field(Kind.COUNT),
    }

    def clean_parameters(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        if set(parameters) != {"from", "to"}:
            raise ContractError("lead_sources takes exactly `from` and `to`")
        start, end = period(parameters)
        return {"from": start.isoformat(), "to": end.isoformat()}

    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        start, end = period(parameters)
        won_deal = Opportunity.objects.filter(pk=OuterRef("opportunity_id"), status=StageKind.WON)
        counts = (
            Lead.objects.filter(
                created_at__gte=end_of_day(business_unit, start - datetime.timedelta(days=1)),
                created_at__lt=end_of_day(business_unit, end),
            )
            .values("source_id")
            .annotate(
                leads=Count("pk"),
                open=Count("pk", filter=Q(status__in=OPEN_LEAD_STATUSES)),
                converted=Count("pk", filter=Q(status=LeadStatus.CONVERTED)),
                invalid=Count("pk", filter=Q(status=LeadStatus.INVALID)),
                won=Count("pk", filter=Q(Exists(won_deal), status=LeadStatus.CONVERTED)),
            )
            .order_by()
        )
        codes = dict(
            LeadSource.objects.filter(
                group_id=business_unit.group_id,
                pk__in={entry["source_id"] for entry in counts if entry["source_id"]},
            ).values_list("pk", "code")
        )
        by_source: dict[str | None, dict[str, int]] = {}
        for entry in counts:
            code = codes.get(entry["source_id"] or 0)
            totals = by_source.setdefault(
                code, dict.fromkeys(("leads", "open", "converted", "invalid", "won"), 0)
            )
            for name in totals:
                totals[name] += entry[name]
        return [
            {"business_unit": business_unit.code, "source": code, **totals}
            for code, totals in sorted(by_source.items(), key=lambda item: item[0] or "")
        ]


LEAD_SOURCES = register(LeadSourceCounts())
