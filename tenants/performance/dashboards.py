"""The sales dashboards of a business unit under the policy: performance against targets, the
leaderboard and the stage funnel.

- Performance: for a period, each subject's results (results.py) beside its targets, with the
  attainment in percent. A row is shown when the policy lets the caller view that subject's
  targets (`target`: a salesperson their own row and their teams', a manager every row); its
  attainment only where the target's value is readable.
- Leaderboard: the BU's people (or teams) ranked by won revenue in the group currency, then by
  won deals; equal figures share a rank. For whoever the policy grants `sales_dashboard`'s
  `leaderboard` field.
- Funnel: per stage and period (funnel.py), of the deals the caller may view, for whoever the
  policy grants its `funnel` field.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from crm.platform.accounts.models import Membership, Team, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action, FieldMode
from crm.tenants.opportunities.access import OPPORTUNITY
from crm.tenants.opportunities.models import Opportunity, Pipeline
from crm.tenants.opportunities.pipelines import get_pipeline
from crm.tenants.performance.access import SALES_DASHBOARD, TARGET
from crm.tenants.performance.funnel import Funnel, compute_funnel, percent, restriction
from crm.tenants.performance.models import Target, TargetMetric, TargetSubject
from crm.tenants.performance.periods import Period, period_of, periods_between
from crm.tenants.performance.results import Results, TeamView, results_by_owner, teams_of, total

MAX_ENTRIES = 100


class LeaderboardBy:
    USER = "USER"
    TEAM = "TEAM"


# -- performance ------------------------------------------------------------------------------


@dataclass
class PerformanceRow:
    subject: str
    user: User | None
    team: Team | None
    results: Results
    revenue_target: Target | None = None
    deals_target: Target | None = None
    revenue_attainment: Decimal | None = None
    deals_attainment: Decimal | None = None


@dataclass
class Performance:
    period: Period
    currency: str
    rows: list[PerformanceRow]


def _probe(subject: str, user: User | None = None, team: Team | None = None) -> Target:
    """An unsaved target of the subject: what the policy says about its targets (no SQL)."""
    return Target(subject=subject, user=user, team=team)


def _row(
    access: Access,
    subject: str,
    results: Results,
    targets: dict[tuple[str, int | None, str], Target],
    *,
    user: User | None = None,
    team: Team | None = None,
) -> PerformanceRow | None:
    """The subject's row, or None when the caller may not view the subject's targets."""
    if not access.on_record(TARGET, _probe(subject, user, team)).allows(Action.VIEW):
        return None
    key = user.pk if user else team.pk if team else None
    row = PerformanceRow(subject, user, team, results)
    row.revenue_target = targets.get((subject, key, TargetMetric.WON_REVENUE))
    row.deals_target = targets.get((subject, key, TargetMetric.WON_DEALS))
    if row.revenue_target is not None:
        modes = access.on_record(TARGET, row.revenue_target).modes
        if modes.get("amount", FieldMode.HIDDEN) >= FieldMode.READ:
            row.revenue_attainment = percent(results.won_amount, row.revenue_target.amount or 0)
    if row.deals_target is not None:
        modes = access.on_record(TARGET, row.deals_target).modes
        if modes.get("deal_count", FieldMode.HIDDEN) >= FieldMode.READ:
            row.deals_attainment = percent(results.won_deals, row.deals_target.deal_count or 0)
    return row


def sales_performance(access: Access, *, kind: str, start: datetime.date) -> Performance:
    """Results against targets in the period of `kind` starting on `start`: the BU's row, its
    teams' by name, then its people's (those with a target or a deal closed in the period, and
    the caller) by user name; each row only if the caller may view that subject's targets."""
    access.require_some(Action.VIEW, TARGET)
    period = period_of(kind, start, field="start")
    results = results_by_owner(period.start, period.end)
    stored = list(
        Target.objects.filter(period=period.kind, period_start=period.start)
        .select_related("user", "set_by")
        .prefetch_related("team__members")
    )
    targets = {(t.subject, t.user_id or t.team_id, t.metric): t for t in stored}
    teams: list[TeamView] = teams_of(access.business_unit)
    people = set(results) | {t.user_id for t in stored if t.user_id is not None}
    caller = access.principal.user_id
    if (
        caller is not None
        and Membership.objects.filter(user_id=caller, business_unit=access.business_unit).exists()
    ):
        people.add(caller)
    users = sorted(User.objects.filter(pk__in=people), key=lambda u: (u.username, u.pk))
    rows = [
        _row(access, TargetSubject.BUSINESS_UNIT, total(results), targets),
        *(
            _row(
                access, TargetSubject.TEAM, total(results, view.member_ids), targets, team=view.team
            )
            for view in teams
        ),
        *(
            _row(access, TargetSubject.USER, results.get(user.pk, Results()), targets, user=user)
            for user in users
        ),
    ]
    return Performance(
        period=period,
        currency=access.business_unit.group.currency,
        rows=[row for row in rows if row is not None],
    )


# -- leaderboard ------------------------------------------------------------------------------


@dataclass
class LeaderboardEntry:
    rank: int
    results: Results
    user: User | None = None
    team: Team | None = None

    @property
    def name(self) -> str:
        return self.user.username if self.user else self.team.name if self.team else ""


@dataclass
class Leaderboard:
    period: Period
    by: str
    currency: str
    entries: list[LeaderboardEntry]


def ranked(entries: list[LeaderboardEntry]) -> list[LeaderboardEntry]:
    """By won revenue, then won deals (most first); equal figures share a rank (1, 1, 3)."""
    ordered = sorted(entries, key=lambda e: (-e.results.won_amount, -e.results.won_deals, e.name))
    previous: LeaderboardEntry | None = None
    for position, entry in enumerate(ordered, start=1):
        same = previous is not None and (
            previous.results.won_amount,
            previous.results.won_deals,
        ) == (entry.results.won_amount, entry.results.won_deals)
        entry.rank = previous.rank if same and previous is not None else position
        previous = entry
    return ordered


def sales_leaderboard(
    access: Access, *, kind: str, start: datetime.date, by: str, first: int = 20
) -> Leaderboard:
    """The first `first` (1–100) people who closed deals in the period, or the BU's teams,
    ranked by what they won."""
    access.require(Action.VIEW, SALES_DASHBOARD, ["leaderboard"])
    chosen = str(getattr(by, "value", by) or "").upper()
    if chosen not in (LeaderboardBy.USER, LeaderboardBy.TEAM):
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="by", reason="USER or TEAM")
    if not 1 <= first <= MAX_ENTRIES:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="first", reason=f"1 to {MAX_ENTRIES}")
    period = period_of(kind, start, field="start")
    results = results_by_owner(period.start, period.end)
    if chosen == LeaderboardBy.USER:
        entries = [
            LeaderboardEntry(0, results[user.pk], user=user)
            for user in User.objects.filter(pk__in=results)
        ]
    else:
        entries = [
            LeaderboardEntry(0, total(results, view.member_ids), team=view.team)
            for view in teams_of(access.business_unit)
        ]
    return Leaderboard(
        period=period,
        by=chosen,
        currency=access.business_unit.group.currency,
        entries=ranked(entries)[:first],
    )


# -- funnel -----------------------------------------------------------------------------------


@dataclass
class SalesFunnel:
    pipeline: Pipeline
    funnel: Funnel


def sales_funnel(
    access: Access,
    *,
    start: datetime.date,
    end: datetime.date,
    granularity: str,
    pipeline_id: int | None = None,
) -> SalesFunnel:
    """The funnel of a pipeline (the BU's default one without it) from `start` to `end` (days
    of the BU, both included), per period of `granularity`, over the deals one may view."""
    access.require(Action.VIEW, SALES_DASHBOARD, ["funnel"])
    for name in ("stage", "events"):
        access.require_readable(OPPORTUNITY, name, argument="salesFunnel")
    periods = periods_between(start, end, granularity)
    pipeline = get_pipeline(access, pipeline_id)
    funnel = compute_funnel(
        pipeline.pk,
        periods=periods,
        start=start,
        end=end,
        time_zone=access.business_unit.time_zone,
        visible=restriction(access.visible(OPPORTUNITY, Opportunity.objects.all())),
    )
    return SalesFunnel(pipeline=pipeline, funnel=funnel)
