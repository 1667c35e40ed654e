"""Leads per source and BU over a period: how many came in, are still open, were converted,
were marked invalid, and became deals that were won.

A lead counts in the period when it was created from `since` (included) to `until` (excluded):
instants the HQ side takes from its days `from` to `to`, so that every cell cuts at the same
moments. Sources are the group's lead-source codes (master data), so every BU's channels
line up in one list; a lead without a source, or with a source this cell does not know, counts
under no source (null) rather than being left out.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, ClassVar

from django.db.models import Count, Exists, OuterRef, Q

from crm.masterdata.sales.models import LeadSource, StageKind
from crm.regions.federation.contract import (
    Aggregate,
    ContractError,
    Field,
    Kind,
    instant,
    register,
)
from crm.tenants.leads.models import OPEN_LEAD_STATUSES, Lead, LeadStatus
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.models import Opportunity

# A period longer than this is refused: a group-wide count over decades is a mistake.
MAX_DAYS = 3660


def period(parameters: Mapping[str, Any]) -> tuple[datetime.datetime, datetime.datetime]:
    if set(parameters) != {"since", "until"}:
        raise ContractError("lead_sources takes exactly `since` and `until`")
    since, until = instant(parameters["since"], "since"), instant(parameters["until"], "until")
    if since >= until:
        raise ContractError("`since` is not before `until`")
    if (until - since).days > MAX_DAYS:
        raise ContractError(f"the period is longer than {MAX_DAYS} days")
    return since, until


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
        since, until = period(parameters)
        return {"since": since.isoformat(), "until": until.isoformat()}

    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        since, until = period(parameters)
        won_deal = Opportunity.objects.filter(pk=OuterRef("opportunity_id"), status=StageKind.WON)
        counts = (
            Lead.objects.filter(created_at__gte=since, created_at__lt=until)
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
