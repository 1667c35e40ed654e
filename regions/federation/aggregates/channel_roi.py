"""Channel ROI per BU and lead source over a period of days: leads, won deals and their revenue,
campaigns and their cost, in the group currency (see `crm.tenants.insights.channel_roi` for how
each figure is made; the cell computes it for every BU without a caller).

The request names the days (`from`, `to`, both included) and the time zone where days are cut
for the leads' creation instants (HQ's: every cell cuts at the same moments). Sources are the
group's lead-source codes; null is no source (deals not from a lead) or one this cell does not
know. Rows carry codes and numbers only.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moneyed import Money

from crm.masterdata.sales.models import LeadSource
from crm.platform.core.money import round_money
from crm.regions.federation.contract import (
    Aggregate,
    ContractError,
    Field,
    Kind,
    money_text,
    register,
)
from crm.tenants.insights import channel_roi as insight
from crm.tenants.insights.common import MAX_DAYS
from crm.tenants.models import BusinessUnit


def _day(value: Any, name: str) -> datetime.date:
    if not isinstance(value, str):
        raise ContractError(f"{name} must be an ISO date string")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ContractError(f"{name} is not an ISO date: {value!r}") from None


def days(parameters: Mapping[str, Any]) -> tuple[datetime.date, datetime.date, str]:
    """The period's first and last day and the time zone, checked."""
    if set(parameters) != {"from", "to", "time_zone"}:
        raise ContractError("channel_roi takes exactly `from`, `to` and `time_zone`")
    start, end = _day(parameters["from"], "from"), _day(parameters["to"], "to")
    if start > end:
        raise ContractError("`from` is after `to`")
    if (end - start).days > MAX_DAYS:
        raise ContractError(f"the period is longer than {MAX_DAYS} days")
    zone = parameters["time_zone"]
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ContractError(f"unknown time zone {zone!r}") from None
    return start, end, str(zone)


class ChannelRoiFigures(Aggregate):
    name: ClassVar[str] = "channel_roi"
    row_fields: ClassVar[Mapping[str, Field]] = {
        "business_unit": Field(Kind.CODE),
        "source": Field(Kind.CODE, nullable=True),
        "leads": Field(Kind.COUNT),
        "converted": Field(Kind.COUNT),
        "won": Field(Kind.COUNT),
        "won_revenue": Field(Kind.MONEY),
        "without_group_amount": Field(Kind.COUNT),
        "campaigns": Field(Kind.COUNT),
        "cost": Field(Kind.MONEY),
        "campaigns_without_rate": Field(Kind.COUNT),
    }

    def clean_parameters(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        start, end, zone = days(parameters)
        return {"from": start.isoformat(), "to": end.isoformat(), "time_zone": zone}

    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        start, end, zone = days(parameters)
        figures = insight.compute_channel_roi(business_unit, start=start, end=end, time_zone=zone)
        currency = business_unit.group.currency
        codes = dict(
            LeadSource.objects.filter(
                group_id=business_unit.group_id,
                pk__in=[s.source_id for s in figures.sources if s.source_id],
            ).values_list("pk", "code")
        )

        def money(amount: Any) -> str:
            return money_text(round_money(Money(amount, currency)).amount)

        rows = [
            {
                "business_unit": business_unit.code,
                "source": codes.get(source.source_id) if source.source_id else None,
                "leads": source.leads,
                "converted": source.converted,
                "won": source.won,
                "won_revenue": money(source.won_revenue),
                "without_group_amount": source.without_group_amount,
                "campaigns": source.campaigns,
                "cost": money(source.cost),
                "campaigns_without_rate": source.campaigns_without_rate,
            }
            for source in figures.sources
        ]
        return sorted(rows, key=lambda row: row["source"] or "")


CHANNEL_ROI = register(ChannelRoiFigures())
