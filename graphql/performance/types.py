"""GraphQL types of targets and the BU's sales dashboards. Amounts are in the group currency.

Target fields are governed (tenants/performance/access.py): null with FIELD_FORBIDDEN where the
policy hides them. Dashboard rows are given as (report, row) pairs, so each row knows its
report's currency.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene
from graphene import relay
from graphql_relay import to_global_id
from moneyed import Money as MoneyValue

from crm.graphql.core.ids import BusinessUnitScopedId
from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import permissions_field
from crm.graphql.core.types import Money
from crm.graphql.opportunities.types import DealUser
from crm.platform.accounts.models import Team as TeamModel
from crm.platform.core.money import round_money
from crm.tenants.performance import models
from crm.tenants.performance.access import TARGET
from crm.tenants.performance.dashboards import (
    Leaderboard,
    LeaderboardEntry,
    Performance,
    PerformanceRow,
)
from crm.tenants.performance.dashboards import (
    SalesFunnel as SalesFunnelValue,
)
from crm.tenants.performance.funnel import FunnelStage as FunnelStageValue
from crm.tenants.performance.funnel import StageFigures
from crm.tenants.performance.periods import Period
from crm.tenants.performance.periods import PeriodKind as PeriodKindChoice
from crm.tenants.performance.results import Results

PeriodKind = graphene.Enum.from_enum(
    PeriodKindChoice, description="A calendar month, quarter or year."
)
TargetSubject = graphene.Enum.from_enum(models.TargetSubject)
TargetMetric = graphene.Enum.from_enum(
    models.TargetMetric, description="Won revenue (group currency) or the number of won deals."
)


class LeaderboardBy(graphene.Enum):
    USER = "USER"
    TEAM = "TEAM"


class SalesTeam(graphene.ObjectType):
    """A team of the business unit."""

    id = graphene.ID(required=True, description="The team's global id (Team:<pk>).")
    name = graphene.String(required=True)

    @staticmethod
    def resolve_id(root: TeamModel, _info: graphene.ResolveInfo) -> str:
        return to_global_id("Team", root.pk)


def _money(amount: Decimal | None, currency: str) -> MoneyValue | None:
    """At the currency's minor units (a target is stored so: this drops the stored zeros)."""
    return None if amount is None else round_money(MoneyValue(amount, currency))


class Target(BusinessUnitScopedId, graphene.ObjectType):
    """What a user, a team or the business unit should win in a period."""

    class Meta:
        interfaces = (relay.Node,)

    subject = graphene.Field(TargetSubject)
    user = graphene.Field(DealUser, description="For a user's target.")
    team = graphene.Field(SalesTeam, description="For a team's target; null once deleted.")
    period = graphene.Field(PeriodKind)
    period_start = graphene.Date(description="The period's first day.")
    metric = graphene.Field(TargetMetric)
    amount = graphene.Field(Money, description="Won revenue, in the group currency.")
    deal_count = graphene.Int(description="Won deals.")
    note = graphene.String()
    set_by = graphene.Field(DealUser, description="Who set it last.")
    updated_at = graphene.DateTime()
    permissions = permissions_field(TARGET)

    @staticmethod
    def resolve_subject(root: models.Target, _info: graphene.ResolveInfo) -> object:
        return models.TargetSubject(root.subject)

    @staticmethod
    def resolve_period(root: models.Target, _info: graphene.ResolveInfo) -> object:
        return PeriodKindChoice(root.period)

    @staticmethod
    def resolve_metric(root: models.Target, _info: graphene.ResolveInfo) -> object:
        return models.TargetMetric(root.metric)

    @staticmethod
    def resolve_team(root: models.Target, _info: graphene.ResolveInfo) -> object:
        return root.team if root.team_id else None

    @staticmethod
    def resolve_amount(root: models.Target, _info: graphene.ResolveInfo) -> object:
        return _money(root.amount, root.currency)


class TargetConnection(CountedConnection):
    class Meta:
        node = Target


# -- what was won -------------------------------------------------------------------------------


def _results(root: tuple[Any, Any]) -> Results:
    results: Results = root[1].results
    return results


class _Results:
    """Deals closed in the period: won (revenue in the group currency, count), lost."""

    won = graphene.Field(Money, required=True, description="Won revenue, group currency.")
    won_deals = graphene.Int(required=True)
    lost_deals = graphene.Int(required=True)
    win_rate_percent = graphene.Decimal(
        description="Won of the deals closed, %; null when none was closed."
    )
    without_group_amount = graphene.Int(
        required=True, description="Won deals not in `won`: no amount, or no rate yet."
    )

    @staticmethod
    def resolve_won(root: tuple[Any, Any], _info: graphene.ResolveInfo) -> MoneyValue:
        return round_money(MoneyValue(_results(root).won_amount, root[0].currency))

    @staticmethod
    def resolve_won_deals(root: tuple[Any, Any], _info: graphene.ResolveInfo) -> int:
        return _results(root).won_deals

    @staticmethod
    def resolve_lost_deals(root: tuple[Any, Any], _info: graphene.ResolveInfo) -> int:
        return _results(root).lost_deals

    @staticmethod
    def resolve_win_rate_percent(
        root: tuple[Any, Any], _info: graphene.ResolveInfo
    ) -> Decimal | None:
        return _results(root).win_rate_percent

    @staticmethod
    def resolve_without_group_amount(root: tuple[Any, Any], _info: graphene.ResolveInfo) -> int:
        return _results(root).without_group_amount


class _Period:
    """The period reported on."""

    period = graphene.Field(PeriodKind, required=True)
    start = graphene.Date(required=True)
    end = graphene.Date(required=True, description="The period's last day.")
    code = graphene.String(required=True, description="e.g. 2026-03, 2026-Q1, 2026.")
    currency = graphene.String(required=True, description="The group currency.")

    @staticmethod
    def resolve_period(root: Performance | Leaderboard, _info: graphene.ResolveInfo) -> object:
        return PeriodKindChoice(root.period.kind)

    @staticmethod
    def resolve_start(root: Performance | Leaderboard, _info: graphene.ResolveInfo) -> object:
        return root.period.start

    @staticmethod
    def resolve_end(root: Performance | Leaderboard, _info: graphene.ResolveInfo) -> object:
        return root.period.end

    @staticmethod
    def resolve_code(root: Performance | Leaderboard, _info: graphene.ResolveInfo) -> str:
        return root.period.code


# -- performance against targets --------------------------------------------------------------


class SalesPerformanceRow(_Results, graphene.ObjectType):
    """One subject's results against its targets in the period."""

    subject = graphene.Field(TargetSubject, required=True)
    user = graphene.Field(DealUser)
    team = graphene.Field(SalesTeam)
    revenue_target = graphene.Field(Target, description="Its won-revenue target, if set.")
    deals_target = graphene.Field(Target, description="Its won-deals target, if set.")
    revenue_attainment_percent = graphene.Decimal(
        description="Won revenue of its target, %; null without a target you may read."
    )
    deals_attainment_percent = graphene.Decimal(
        description="Won deals of its target, %; null without a target you may read."
    )

    @staticmethod
    def resolve_subject(
        root: tuple[Performance, PerformanceRow], _info: graphene.ResolveInfo
    ) -> object:
        return models.TargetSubject(root[1].subject)

    @staticmethod
    def resolve_user(root: tuple[Performance, PerformanceRow], _info: graphene.ResolveInfo) -> Any:
        return root[1].user

    @staticmethod
    def resolve_team(root: tuple[Performance, PerformanceRow], _info: graphene.ResolveInfo) -> Any:
        return root[1].team

    @staticmethod
    def resolve_revenue_target(
        root: tuple[Performance, PerformanceRow], _info: graphene.ResolveInfo
    ) -> Any:
        return root[1].revenue_target

    @staticmethod
    def resolve_deals_target(
        root: tuple[Performance, PerformanceRow], _info: graphene.ResolveInfo
    ) -> Any:
        return root[1].deals_target

    @staticmethod
    def resolve_revenue_attainment_percent(
        root: tuple[Performance, PerformanceRow], _info: graphene.ResolveInfo
    ) -> Decimal | None:
        return root[1].revenue_attainment

    @staticmethod
    def resolve_deals_attainment_percent(
        root: tuple[Performance, PerformanceRow], _info: graphene.ResolveInfo
    ) -> Decimal | None:
        return root[1].deals_attainment


class SalesPerformance(_Period, graphene.ObjectType):
    """Results against targets: the business unit, its teams, its people (as you may see)."""

    rows = graphene.List(graphene.NonNull(SalesPerformanceRow), required=True)

    @staticmethod
    def resolve_rows(root: Performance, _info: graphene.ResolveInfo) -> list[Any]:
        return [(root, row) for row in root.rows]


# -- leaderboard ------------------------------------------------------------------------------


class SalesLeaderboardRow(_Results, graphene.ObjectType):
    rank = graphene.Int(required=True, description="Equal figures share a rank (1, 1, 3).")
    user = graphene.Field(DealUser)
    team = graphene.Field(SalesTeam)

    @staticmethod
    def resolve_rank(root: tuple[Leaderboard, LeaderboardEntry], _info: Any) -> int:
        return root[1].rank

    @staticmethod
    def resolve_user(root: tuple[Leaderboard, LeaderboardEntry], _info: Any) -> Any:
        return root[1].user

    @staticmethod
    def resolve_team(root: tuple[Leaderboard, LeaderboardEntry], _info: Any) -> Any:
        return root[1].team


class SalesLeaderboard(_Period, graphene.ObjectType):
    """People (or teams) ranked by won revenue in the group currency, then by won deals."""

    by = graphene.Field(LeaderboardBy, required=True)
    rows = graphene.List(graphene.NonNull(SalesLeaderboardRow), required=True)

    @staticmethod
    def resolve_by(root: Leaderboard, _info: graphene.ResolveInfo) -> object:
        return LeaderboardBy.get(root.by)

    @staticmethod
    def resolve_rows(root: Leaderboard, _info: graphene.ResolveInfo) -> list[Any]:
        return [(root, entry) for entry in root.entries]


# -- funnel -----------------------------------------------------------------------------------


class _StageFigures:
    stage = graphene.String(required=True, description="The stage's code.")
    entered = graphene.Int(required=True, description="Deals that reached the stage.")
    converted = graphene.Int(required=True, description="Of those, went on to the next one.")
    conversion_percent = graphene.Decimal(description="converted of entered, %.")
    won = graphene.Int(required=True, description="Of those, won now.")
    lost = graphene.Int(required=True, description="Of those, lost without getting further.")
    open = graphene.Int(required=True, description="Of those, open and no further.")

    @staticmethod
    def resolve_stage(root: tuple[str, StageFigures], _info: Any) -> str:
        return root[0]

    @staticmethod
    def resolve_entered(root: tuple[str, StageFigures], _info: Any) -> int:
        return root[1].entered

    @staticmethod
    def resolve_converted(root: tuple[str, StageFigures], _info: Any) -> int:
        return root[1].converted

    @staticmethod
    def resolve_conversion_percent(root: tuple[str, StageFigures], _info: Any) -> Any:
        return root[1].conversion_percent

    @staticmethod
    def resolve_won(root: tuple[str, StageFigures], _info: Any) -> int:
        return root[1].won

    @staticmethod
    def resolve_lost(root: tuple[str, StageFigures], _info: Any) -> int:
        return root[1].lost

    @staticmethod
    def resolve_open(root: tuple[str, StageFigures], _info: Any) -> int:
        return root[1].open


class FunnelStageFigures(_StageFigures, graphene.ObjectType):
    """The deals that reached one stage in a period (or the whole range)."""


class FunnelStage(graphene.ObjectType):
    code = graphene.String(required=True)
    name = graphene.String(required=True, description="In the request's language.")
    position = graphene.Int(required=True)
    kind = graphene.String(required=True, description="OPEN or WON.")

    @staticmethod
    def resolve_code(root: FunnelStageValue, _info: Any) -> str:
        return str(root.stage.code)

    @staticmethod
    def resolve_name(root: FunnelStageValue, _info: Any) -> str:
        return str(root.stage.name)

    @staticmethod
    def resolve_position(root: FunnelStageValue, _info: Any) -> int:
        return int(root.stage.position)

    @staticmethod
    def resolve_kind(root: FunnelStageValue, _info: Any) -> str:
        return str(root.stage.kind)


class FunnelPeriod(graphene.ObjectType):
    """One period of the range: its stages' figures in the pipeline's order."""

    period = graphene.String(required=True, description="e.g. 2026-03 or 2026-Q1.")
    start = graphene.Date(required=True, description="The first day counted in it.")
    end = graphene.Date(required=True, description="The last day counted in it.")
    stages = graphene.List(graphene.NonNull(FunnelStageFigures), required=True)

    @staticmethod
    def resolve_period(root: tuple[SalesFunnelValue, Period], _info: Any) -> str:
        return root[1].code

    @staticmethod
    def resolve_start(root: tuple[SalesFunnelValue, Period], _info: Any) -> Any:
        return max(root[1].start, root[0].funnel.start)

    @staticmethod
    def resolve_end(root: tuple[SalesFunnelValue, Period], _info: Any) -> Any:
        return min(root[1].end, root[0].funnel.end)

    @staticmethod
    def resolve_stages(root: tuple[SalesFunnelValue, Period], _info: Any) -> list[Any]:
        funnel, period = root[0].funnel, root[1]
        return [(stage.code, funnel.of(period, stage)) for stage in funnel.stages]


class SalesFunnel(graphene.ObjectType):
    """Per stage and period: the deals that reached the stage, and what became of them."""

    pipeline = graphene.String(required=True, description="The pipeline's code.")
    from_ = graphene.Date(required=True, name="from")
    to = graphene.Date(required=True)
    granularity = graphene.Field(PeriodKind, required=True)
    stages = graphene.List(graphene.NonNull(FunnelStage), required=True)
    periods = graphene.List(graphene.NonNull(FunnelPeriod), required=True)
    total = graphene.List(
        graphene.NonNull(FunnelStageFigures), required=True, description="Over the whole range."
    )

    @staticmethod
    def resolve_pipeline(root: SalesFunnelValue, _info: Any) -> str:
        return str(root.pipeline.code)

    @staticmethod
    def resolve_from_(root: SalesFunnelValue, _info: Any) -> Any:
        return root.funnel.start

    @staticmethod
    def resolve_to(root: SalesFunnelValue, _info: Any) -> Any:
        return root.funnel.end

    @staticmethod
    def resolve_granularity(root: SalesFunnelValue, _info: Any) -> object:
        return PeriodKindChoice(root.funnel.granularity)

    @staticmethod
    def resolve_stages(root: SalesFunnelValue, _info: Any) -> list[FunnelStageValue]:
        return list(root.funnel.stages)

    @staticmethod
    def resolve_periods(root: SalesFunnelValue, _info: Any) -> list[Any]:
        return [(root, period) for period in root.funnel.periods]

    @staticmethod
    def resolve_total(root: SalesFunnelValue, _info: Any) -> list[Any]:
        return [(stage.code, root.funnel.total(stage)) for stage in root.funnel.stages]
