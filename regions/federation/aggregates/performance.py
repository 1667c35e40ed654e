"""Won and lost deals against targets per BU and team, for the group-wide performance at HQ.

For one period (a calendar month, quarter or year of each BU's own calendar: close dates are
the BU's days), each BU answers its own row (team null) and one per team: won revenue in the
group currency (at each deal's close-date rate), won and lost deals, won deals without a group
amount, and the targets set for it. Teams travel by code (`team-<id>`) and name, never by
person: nobody's own results leave the cell.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, ClassVar

from moneyed import Money

from crm.platform.core.errors import CrmError
from crm.platform.core.money import round_money
from crm.regions.federation.contract import (
    Aggregate,
    ContractError,
    Field,
    Kind,
    money_text,
    register,
)
from crm.tenants.models import BusinessUnit
from crm.tenants.performance.models import Target, TargetMetric, TargetSubject
from crm.tenants.performance.periods import Period, period_of
from crm.tenants.performance.results import Results, results_by_owner, teams_of, total


def team_code(team_id: int) -> str:
    return f"team-{team_id}"


def requested_period(parameters: Mapping[str, Any]) -> Period:
    if set(parameters) != {"period", "start"}:
        raise ContractError("performance takes exactly `period` and `start`")
    start = parameters["start"]
    if not isinstance(start, str):
        raise ContractError("start must be an ISO date string")
    try:
        return period_of(str(parameters["period"]), datetime.date.fromisoformat(start))
    except ValueError:
        raise ContractError(f"start is not an ISO date: {start!r}") from None
    except CrmError as error:
        raise ContractError(f"{error.field}: {error.params.get('reason', '')}") from None


class SalesPerformanceTotals(Aggregate):
    name: ClassVar[str] = "performance"
    row_fields: ClassVar[Mapping[str, Field]] = {
        "business_unit": Field(Kind.CODE),
        "team": Field(Kind.CODE, nullable=True),
        "team_name": Field(Kind.LABEL, nullable=True),
        "won_amount": Field(Kind.MONEY),
        "won_deals": Field(Kind.COUNT),
        "lost_deals": Field(Kind.COUNT),
        "without_group_amount": Field(Kind.COUNT),
        "revenue_target": Field(Kind.MONEY, nullable=True),
        "deals_target": Field(Kind.COUNT, nullable=True),
    }

    def clean_parameters(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        period = requested_period(parameters)
        return {"period": period.kind, "start": period.start.isoformat()}

    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        period = requested_period(parameters)
        currency = business_unit.group.currency
        results = results_by_owner(period.start, period.end)
        targets = {
            (target.team_id, target.metric): target
            for target in Target.objects.filter(
                period=period.kind,
                period_start=period.start,
                subject__in=(TargetSubject.BUSINESS_UNIT, TargetSubject.TEAM),
            )
        }

        def row(team_id: int | None, name: str | None, figures: Results) -> dict[str, Any]:
            revenue = targets.get((team_id, TargetMetric.WON_REVENUE))
            deals = targets.get((team_id, TargetMetric.WON_DEALS))
            return {
                "business_unit": business_unit.code,
                "team": team_code(team_id) if team_id is not None else None,
                "team_name": name[:200] if name is not None else None,
                "won_amount": money_text(round_money(Money(figures.won_amount, currency)).amount),
                "won_deals": figures.won_deals,
                "lost_deals": figures.lost_deals,
                "without_group_amount": figures.without_group_amount,
                "revenue_target": (
                    money_text(round_money(Money(revenue.amount, currency)).amount)
                    if revenue is not None and revenue.amount is not None
                    else None
                ),
                "deals_target": deals.deal_count if deals is not None else None,
            }

        return [
            row(None, None, total(results)),
            *(
                row(view.team.pk, view.team.name, total(results, view.member_ids))
                for view in teams_of(business_unit)
            ),
        ]


PERFORMANCE = register(SalesPerformanceTotals())
