"""Group-wide sales views in GraphQL (HQ only): the stage funnel and performance against
targets per BU and team, from every cell, with each cell's status (see graphql/groupviews)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene
from moneyed import Money as MoneyValue

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.permissions import caller
from crm.graphql.core.types import Money
from crm.graphql.groupviews.types import GroupView
from crm.graphql.performance.types import PeriodKind, _StageFigures
from crm.platform.core.errors import CrmError
from crm.regions.federation import sales_reports
from crm.regions.federation.sales_reports import (
    FunnelReport,
    PerformanceReport,
    Standing,
)
from crm.regions.federation.sales_reports import GroupFunnelStage as StageTotal
from crm.tenants.performance.funnel import StageFigures
from crm.tenants.performance.periods import Period
from crm.tenants.performance.periods import PeriodKind as PeriodKindChoice

# -- funnel -----------------------------------------------------------------------------------


class GroupFunnelStageFigures(_StageFigures, graphene.ObjectType):
    """One stage's figures across the BUs that answered, in a period or the whole range."""


class GroupFunnelPeriod(graphene.ObjectType):
    period = graphene.String(required=True, description="e.g. 2026-03 or 2026-Q1.")
    start = graphene.Date(required=True, description="The first day counted in it (at HQ).")
    end = graphene.Date(required=True, description="The last day counted in it (at HQ).")
    stages = graphene.List(graphene.NonNull(GroupFunnelStageFigures), required=True)

    @staticmethod
    def resolve_period(root: tuple[FunnelReport, Period], _info: Any) -> str:
        return root[1].code

    @staticmethod
    def resolve_start(root: tuple[FunnelReport, Period], _info: Any) -> Any:
        return max(root[1].start, root[0].start)

    @staticmethod
    def resolve_end(root: tuple[FunnelReport, Period], _info: Any) -> Any:
        return min(root[1].end, root[0].end)

    @staticmethod
    def resolve_stages(root: tuple[FunnelReport, Period], _info: Any) -> list[Any]:
        report, period = root
        return [
            (stage.stage, stage.periods.get(period.code) or StageFigures())
            for stage in report.stages
        ]


class GroupFunnelStage(graphene.ObjectType):
    stage = graphene.String(required=True, description="The stage's code.")
    stage_template = graphene.String(description="The group template stage's code.")
    step = graphene.Int(required=True, description="Its place in the funnel (1: first open).")

    @staticmethod
    def resolve_stage(root: StageTotal, _info: Any) -> str:
        return root.stage

    @staticmethod
    def resolve_stage_template(root: StageTotal, _info: Any) -> str | None:
        return root.stage_template

    @staticmethod
    def resolve_step(root: StageTotal, _info: Any) -> int:
        return root.step


def _row_value(name: str) -> Any:
    def resolve(root: tuple[Any, dict[str, Any]], _info: Any) -> Any:
        return root[1][name]

    return resolve


class GroupFunnelRow(graphene.ObjectType):
    """One BU's figures for one stage of one of its pipelines in one period."""

    region = graphene.String(required=True, resolver=_row_value("region"))
    business_unit = graphene.String(required=True, resolver=_row_value("business_unit"))
    business_unit_name = graphene.String(required=True)
    pipeline = graphene.String(required=True, resolver=_row_value("pipeline"))
    stage = graphene.String(required=True, resolver=_row_value("stage"))
    stage_name = graphene.String(
        required=True, resolver=_row_value("stage_name"), description="In the BU's language."
    )
    stage_template = graphene.String(resolver=_row_value("stage_template"))
    step = graphene.Int(required=True, resolver=_row_value("step"))
    period = graphene.String(required=True, resolver=_row_value("period"))
    entered = graphene.Int(required=True, resolver=_row_value("entered"))
    converted = graphene.Int(required=True, resolver=_row_value("converted"))
    won = graphene.Int(required=True, resolver=_row_value("won"))
    lost = graphene.Int(required=True, resolver=_row_value("lost"))
    open = graphene.Int(required=True, resolver=_row_value("open"))

    @staticmethod
    def resolve_business_unit_name(root: tuple[FunnelReport, dict[str, Any]], _info: Any) -> str:
        return root[0].name_of(root[1]["business_unit"])


class GroupFunnel(graphene.ObjectType):
    """Deals that reached each stage per period across the group (days and periods at HQ)."""

    class Meta:
        interfaces = (GroupView,)

    from_ = graphene.Date(required=True, name="from")
    to = graphene.Date(required=True)
    granularity = graphene.Field(PeriodKind, required=True)
    stages = graphene.List(graphene.NonNull(GroupFunnelStage), required=True)
    periods = graphene.List(graphene.NonNull(GroupFunnelPeriod), required=True)
    total = graphene.List(graphene.NonNull(GroupFunnelStageFigures), required=True)
    rows = graphene.List(graphene.NonNull(GroupFunnelRow), required=True)

    @staticmethod
    def resolve_from_(root: FunnelReport, _info: Any) -> Any:
        return root.start

    @staticmethod
    def resolve_to(root: FunnelReport, _info: Any) -> Any:
        return root.end

    @staticmethod
    def resolve_granularity(root: FunnelReport, _info: Any) -> object:
        return PeriodKindChoice(root.granularity)

    @staticmethod
    def resolve_stages(root: FunnelReport, _info: Any) -> list[StageTotal]:
        return list(root.stages)

    @staticmethod
    def resolve_periods(root: FunnelReport, _info: Any) -> list[Any]:
        return [(root, period) for period in root.periods]

    @staticmethod
    def resolve_total(root: FunnelReport, _info: Any) -> list[Any]:
        return [(stage.stage, stage.total) for stage in root.stages]

    @staticmethod
    def resolve_rows(root: FunnelReport, _info: Any) -> list[Any]:
        return [(root, row) for row in root.rows]


# -- performance ------------------------------------------------------------------------------


def _standing(name: str) -> Any:
    def resolve(root: tuple[PerformanceReport, Standing], _info: Any) -> Any:
        return getattr(root[1], name)

    return resolve


def _standing_money(name: str) -> Any:
    def resolve(root: tuple[PerformanceReport, Standing], _info: Any) -> MoneyValue | None:
        amount: Decimal | None = getattr(root[1], name)
        return None if amount is None else root[0].money(amount)

    return resolve


class _Standing:
    won = graphene.Field(
        Money, required=True, resolver=_standing_money("won_amount"), description="Won revenue."
    )
    won_deals = graphene.Int(required=True, resolver=_standing("won_deals"))
    lost_deals = graphene.Int(required=True, resolver=_standing("lost_deals"))
    win_rate_percent = graphene.Decimal(resolver=_standing("win_rate_percent"))
    without_group_amount = graphene.Int(
        required=True,
        resolver=_standing("without_group_amount"),
        description="Won deals not in `won`: no amount, or no rate yet.",
    )
    revenue_target = graphene.Field(Money, resolver=_standing_money("revenue_target"))
    deals_target = graphene.Int(resolver=_standing("deals_target"))
    revenue_attainment_percent = graphene.Decimal(resolver=_standing("revenue_attainment_percent"))
    deals_attainment_percent = graphene.Decimal(resolver=_standing("deals_attainment_percent"))


class GroupPerformanceTotal(_Standing, graphene.ObjectType):
    """Every BU that answered, together."""


class GroupPerformanceRow(_Standing, graphene.ObjectType):
    """A BU (team null) or one of its teams, ranked among its peers."""

    rank = graphene.Int(required=True, resolver=_standing("rank"))
    region = graphene.String(required=True, resolver=_standing("region"))
    business_unit = graphene.String(required=True, resolver=_standing("business_unit"))
    business_unit_name = graphene.String(required=True)
    team = graphene.String(resolver=_standing("team"), description="The team's code.")
    team_name = graphene.String(resolver=_standing("team_name"))

    @staticmethod
    def resolve_business_unit_name(root: tuple[PerformanceReport, Standing], _info: Any) -> str:
        return root[0].name_of(root[1].business_unit)


class GroupPerformance(graphene.ObjectType):
    """Won revenue and deals against targets per BU and per team, ranked (the group's
    leaderboard, by BU and team): each BU's deals closed in the period of its own calendar."""

    class Meta:
        interfaces = (GroupView,)

    period = graphene.Field(PeriodKind, required=True)
    start = graphene.Date(required=True)
    end = graphene.Date(required=True)
    code = graphene.String(required=True)
    currency = graphene.String(required=True, description="The group currency.")
    business_units = graphene.List(graphene.NonNull(GroupPerformanceRow), required=True)
    teams = graphene.List(graphene.NonNull(GroupPerformanceRow), required=True)
    total = graphene.Field(GroupPerformanceTotal, required=True)

    @staticmethod
    def resolve_period(root: PerformanceReport, _info: Any) -> object:
        return PeriodKindChoice(root.period.kind)

    @staticmethod
    def resolve_start(root: PerformanceReport, _info: Any) -> Any:
        return root.period.start

    @staticmethod
    def resolve_end(root: PerformanceReport, _info: Any) -> Any:
        return root.period.end

    @staticmethod
    def resolve_code(root: PerformanceReport, _info: Any) -> str:
        return root.period.code

    @staticmethod
    def resolve_business_units(root: PerformanceReport, _info: Any) -> list[Any]:
        return [(root, standing) for standing in root.business_units]

    @staticmethod
    def resolve_teams(root: PerformanceReport, _info: Any) -> list[Any]:
        return [(root, standing) for standing in root.teams]

    @staticmethod
    def resolve_total(root: PerformanceReport, _info: Any) -> Any:
        return (root, root.total)


class SalesGroupViewQueries(graphene.ObjectType):
    group_funnel = graphene.Field(
        GroupFunnel,
        required=True,
        from_=graphene.Date(required=True, name="from", description="First day at HQ."),
        to=graphene.Date(required=True, description="Last day at HQ (inclusive)."),
        granularity=graphene.Argument(PeriodKind, default_value=PeriodKind.MONTH.value),
        description="Per stage and period, the deals of every BU that reached the stage and "
        "what became of them, from every cell; cells that did not answer are listed in "
        "`missingRegions`.",
    )
    group_performance = graphene.Field(
        GroupPerformance,
        required=True,
        period=graphene.Argument(PeriodKind, required=True),
        start=graphene.Date(required=True, description="The period's first day."),
        description="Won revenue (group currency) and deals against targets per BU and team, "
        "ranked, from every cell.",
    )

    @staticmethod
    def resolve_group_funnel(
        _root: None,
        info: graphene.ResolveInfo,
        from_: datetime.date,
        to: datetime.date,
        granularity: Any = "MONTH",
    ) -> FunnelReport:
        try:
            return sales_reports.group_funnel(
                caller(info),
                start=from_,
                end=to,
                granularity=str(getattr(granularity, "value", granularity)),
            )
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_group_performance(
        _root: None, info: graphene.ResolveInfo, period: Any, start: datetime.date
    ) -> PerformanceReport:
        try:
            return sales_reports.group_performance(
                caller(info), kind=str(getattr(period, "value", period)), start=start
            )
        except CrmError as error:
            raise graphql_error(error) from error
