"""Target and dashboard queries of the business unit: targets by id and as a list, performance
against targets, the leaderboard and the stage funnel."""

from __future__ import annotations

import datetime
from typing import Any

import graphene
from django.db.models import QuerySet
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.masterdata.queries import forward_only
from crm.graphql.performance.types import (
    LeaderboardBy,
    PeriodKind,
    SalesFunnel,
    SalesLeaderboard,
    SalesPerformance,
    Target,
    TargetConnection,
    TargetMetric,
    TargetSubject,
)
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.tenants.performance import dashboards, models, targets
from crm.tenants.performance.access import TARGET


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


class TargetFilter(graphene.InputObjectType):
    subject = graphene.List(graphene.NonNull(TargetSubject))
    metric = graphene.List(graphene.NonNull(TargetMetric))
    period = graphene.List(graphene.NonNull(PeriodKind))
    start_from = graphene.Date(description="Periods starting on or after (inclusive).")
    start_to = graphene.Date(description="Periods starting on or before (inclusive).")
    user = graphene.ID(description="Only this user's targets (User:<pk>).")
    team = graphene.ID(description="Only this team's targets (Team:<pk>).")


def filtered_targets(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Target]:
    """The targets one may view, filtered on fields one reads in every one of them."""
    given, found = filter or {}, targets.targets(access)
    lookups: list[tuple[str, str, dict[str, Any]]] = []
    if given.get("subject"):
        lookups.append(
            ("subject", "subject", {"subject__in": [_value(s) for s in given["subject"]]})
        )
    if given.get("metric"):
        lookups.append(("metric", "metric", {"metric__in": [_value(m) for m in given["metric"]]}))
    if given.get("period"):
        lookups.append(("period", "period", {"period__in": [_value(p) for p in given["period"]]}))
    if given.get("start_from"):
        lookups.append(("period_start", "startFrom", {"period_start__gte": given["start_from"]}))
    if given.get("start_to"):
        lookups.append(("period_start", "startTo", {"period_start__lte": given["start_to"]}))
    if given.get("user"):
        lookups.append(("user", "user", {"user_id": pk_of("User", given["user"], field="user")}))
    if given.get("team"):
        lookups.append(("team", "team", {"team_id": pk_of("Team", given["team"], field="team")}))
    for field, argument, lookup in lookups:
        access.require_readable(TARGET, field, argument=argument)
        found = found.filter(**lookup)
    return found


class PerformanceQueries(graphene.ObjectType):
    target = graphene.Field(Target, id=graphene.ID(required=True), description="One target.")
    targets = relay.ConnectionField(
        TargetConnection,
        filter=graphene.Argument(TargetFilter),
        description="The targets you may view, by period start.",
    )
    sales_performance = graphene.Field(
        SalesPerformance,
        required=True,
        period=graphene.Argument(PeriodKind, required=True),
        start=graphene.Date(required=True, description="The period's first day."),
        description=(
            "Won revenue (group currency) and won deals against targets in a period: the "
            "business unit, its teams and its people, as far as you may view their targets."
        ),
    )
    sales_leaderboard = graphene.Field(
        SalesLeaderboard,
        required=True,
        period=graphene.Argument(PeriodKind, required=True),
        start=graphene.Date(required=True, description="The period's first day."),
        by=graphene.Argument(LeaderboardBy, default_value="USER"),
        first=graphene.Int(default_value=20, description="1 to 100."),
        description="The people (or teams) of the business unit ranked by won revenue in the "
        "group currency, then by won deals, with their win rate.",
    )
    sales_funnel = graphene.Field(
        SalesFunnel,
        required=True,
        from_=graphene.Date(required=True, name="from", description="First day (inclusive)."),
        to=graphene.Date(required=True, description="Last day (inclusive)."),
        granularity=graphene.Argument(PeriodKind, default_value=PeriodKind.MONTH.value),
        pipeline=graphene.ID(description="Pipeline:<pk>; the default pipeline without it."),
        description=(
            "Per stage and period (at most 36 periods): deals that reached the stage, went on "
            "to the next, were won, were lost there, are still there; of the deals you may view."
        ),
    )

    @staticmethod
    def resolve_target(_root: None, info: graphene.ResolveInfo, id: str) -> models.Target:
        try:
            return targets.get_target(caller(info), pk_of("Target", id))
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_targets(
        _root: None, info: graphene.ResolveInfo, filter: dict[str, Any] | None = None, **page: Any
    ) -> Any:
        try:
            forward_only(page.get("last"), page.get("before"))
            found = keyset_page(
                filtered_targets(caller(info), filter),
                kind="Target",
                key="id",
                first=page.get("first"),
                after=page.get("after"),
                ordering=Ordering("period_start"),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        return connection_from_page(TargetConnection, found)

    @staticmethod
    def resolve_sales_performance(
        _root: None, info: graphene.ResolveInfo, period: Any, start: datetime.date
    ) -> dashboards.Performance:
        try:
            return dashboards.sales_performance(caller(info), kind=_value(period), start=start)
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_sales_leaderboard(
        _root: None,
        info: graphene.ResolveInfo,
        period: Any,
        start: datetime.date,
        by: Any = "USER",
        first: int = 20,
    ) -> dashboards.Leaderboard:
        try:
            return dashboards.sales_leaderboard(
                caller(info), kind=_value(period), start=start, by=_value(by), first=first
            )
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_sales_funnel(
        _root: None,
        info: graphene.ResolveInfo,
        from_: datetime.date,
        to: datetime.date,
        granularity: Any = "MONTH",
        pipeline: str | None = None,
    ) -> dashboards.SalesFunnel:
        try:
            pipeline_id = pk_of("Pipeline", pipeline, field="pipeline") if pipeline else None
            return dashboards.sales_funnel(
                caller(info),
                start=from_,
                end=to,
                granularity=_value(granularity),
                pipeline_id=pipeline_id,
            )
        except CrmError as error:
            raise graphql_error(error) from error
