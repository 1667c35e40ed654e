"""The group-wide sales views HQ asks for: the stage funnel and performance against targets,
per BU and team, from every cell (see `reports` for who may ask, and where).

The funnel adds up each stage's counts per period across the BUs that answered (stages by code:
a BU keeps the codes of the group's template, its own extra stages stay its own), with the
conversion per stage. Performance ranks the BUs, and the teams of the whole group, by won
revenue in the group currency, then by won deals: the group's leaderboard, by BU and team,
never by person.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crm.platform.permissions.engine import Access
from crm.regions.federation.aggregates.funnel import COUNTS
from crm.regions.federation.fanout import group_view
from crm.regions.federation.reports import Report, _names, require_headquarters
from crm.tenants.performance.funnel import StageFigures, percent
from crm.tenants.performance.periods import Period, period_of, periods_between

# -- funnel -----------------------------------------------------------------------------------


@dataclass
class GroupFunnelStage:
    """A stage code across the BUs that answered, placed by its step in their pipelines."""

    stage: str
    stage_template: str | None
    step: int
    total: StageFigures = field(default_factory=StageFigures)
    periods: dict[str, StageFigures] = field(default_factory=dict)


@dataclass
class FunnelReport(Report):
    start: datetime.date = datetime.date.min
    end: datetime.date = datetime.date.min
    granularity: str = ""
    periods: list[Period] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    stages: list[GroupFunnelStage] = field(default_factory=list)


def _figures(row: dict[str, Any]) -> StageFigures:
    return StageFigures(**{name: row[name] for name in COUNTS})


def group_funnel(
    access: Access, *, start: datetime.date, end: datetime.date, granularity: str
) -> FunnelReport:
    """Deals that reached each stage from `start` to `end` (days at HQ, both included), per
    period of `granularity` at HQ, in every BU of the group."""
    group = require_headquarters(access, "funnel")
    periods = periods_between(start, end, granularity)
    view = group_view(
        group,
        "funnel",
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "granularity": periods[0].kind,
            "time_zone": access.business_unit.time_zone,
        },
        as_of=access.business_unit.today(),
    )
    rows = sorted(
        view.rows, key=lambda r: (r["business_unit"], r["pipeline"], r["period"], r["step"])
    )
    stages: dict[str, GroupFunnelStage] = {}
    for row in rows:
        stage = stages.setdefault(
            row["stage"], GroupFunnelStage(row["stage"], row["stage_template"], row["step"])
        )
        stage.step = min(stage.step, row["step"])
        figures = _figures(row)
        stage.total.add(figures)
        stage.periods.setdefault(row["period"], StageFigures()).add(figures)
    return FunnelReport(
        view=view,
        business_unit_names=_names(group),
        start=start,
        end=end,
        granularity=periods[0].kind,
        periods=periods,
        rows=rows,
        stages=sorted(stages.values(), key=lambda s: (s.step, s.stage)),
    )


# -- performance ------------------------------------------------------------------------------


@dataclass
class Standing:
    """A BU's or a team's results and targets, and its rank among its peers."""

    region: str
    business_unit: str
    team: str | None
    team_name: str | None
    won_amount: Decimal
    won_deals: int
    lost_deals: int
    without_group_amount: int
    revenue_target: Decimal | None
    deals_target: int | None
    rank: int = 0

    @property
    def win_rate_percent(self) -> Decimal | None:
        return percent(self.won_deals, self.won_deals + self.lost_deals)

    @property
    def revenue_attainment_percent(self) -> Decimal | None:
        return (
            None if self.revenue_target is None else percent(self.won_amount, self.revenue_target)
        )

    @property
    def deals_attainment_percent(self) -> Decimal | None:
        return None if self.deals_target is None else percent(self.won_deals, self.deals_target)


def _standings(rows: Iterable[dict[str, Any]]) -> list[Standing]:
    standings = [
        Standing(
            region=row["region"],
            business_unit=row["business_unit"],
            team=row["team"],
            team_name=row["team_name"],
            won_amount=row["won_amount"],
            won_deals=row["won_deals"],
            lost_deals=row["lost_deals"],
            without_group_amount=row["without_group_amount"],
            revenue_target=row["revenue_target"],
            deals_target=row["deals_target"],
        )
        for row in rows
    ]
    standings.sort(
        key=lambda s: (
            -s.won_amount,
            -s.won_deals,
            s.business_unit,
            s.team_name or "",
            s.team or "",
        )
    )
    previous: Standing | None = None
    for position, standing in enumerate(standings, start=1):
        same = previous is not None and (previous.won_amount, previous.won_deals) == (
            standing.won_amount,
            standing.won_deals,
        )
        standing.rank = previous.rank if same and previous is not None else position
        previous = standing
    return standings


@dataclass
class PerformanceReport(Report):
    period: Period = field(default_factory=lambda: Period(datetime.date.min, "MONTH"))
    business_units: list[Standing] = field(default_factory=list)
    teams: list[Standing] = field(default_factory=list)

    @property
    def total(self) -> Standing:
        units = self.business_units
        revenue = [s.revenue_target for s in units if s.revenue_target is not None]
        deals = [s.deals_target for s in units if s.deals_target is not None]
        return Standing(
            region="",
            business_unit="",
            team=None,
            team_name=None,
            won_amount=sum((s.won_amount for s in units), Decimal(0)),
            won_deals=sum(s.won_deals for s in units),
            lost_deals=sum(s.lost_deals for s in units),
            without_group_amount=sum(s.without_group_amount for s in units),
            revenue_target=sum(revenue, Decimal(0)) if revenue else None,
            deals_target=sum(deals) if deals else None,
        )


def group_performance(access: Access, *, kind: str, start: datetime.date) -> PerformanceReport:
    """Won revenue and deals against targets per BU and per team in the period of `kind`
    starting on `start` (each BU's own calendar days), ranked."""
    group = require_headquarters(access, "performance")
    period = period_of(kind, start, field="start")
    view = group_view(
        group,
        "performance",
        {"period": period.kind, "start": period.start.isoformat()},
        as_of=access.business_unit.today(),
    )
    return PerformanceReport(
        view=view,
        business_unit_names=_names(group),
        period=period,
        business_units=_standings(r for r in view.rows if r["team"] is None),
        teams=_standings(r for r in view.rows if r["team"] is not None),
    )
