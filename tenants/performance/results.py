"""What was won and lost in a period, per deal owner and per team, in the group currency.

A deal counts in the period it was closed in (its close date, a day of the BU), for its owner;
a team's results are those of the deals owned by its members and by the members of the teams
below it (as they are now: moving someone to another team moves their results with them). Won
revenue is the sum of the won deals' amounts in the group currency, converted at the rate of
their close date (`amount_group`, see crm.tenants.opportunities.services); a won deal without
one (no amount, or no rate yet) is counted in `without_group_amount`, never valued by a guess.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from crm.masterdata.sales.models import StageKind
from crm.platform.accounts.models import Team
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.models import Opportunity
from crm.tenants.performance.funnel import percent


@dataclass
class Results:
    won_amount: Decimal = Decimal(0)
    won_deals: int = 0
    lost_deals: int = 0
    without_group_amount: int = 0

    @property
    def win_rate_percent(self) -> Decimal | None:
        """Won of the deals closed, in percent (one decimal); None when none was closed."""
        return percent(self.won_deals, self.won_deals + self.lost_deals)

    def add(self, other: Results) -> None:
        self.won_amount += other.won_amount
        self.won_deals += other.won_deals
        self.lost_deals += other.lost_deals
        self.without_group_amount += other.without_group_amount


def results_by_owner(start: datetime.date, end: datetime.date) -> dict[int, Results]:
    """Per owner (user id), the deals of the current BU schema closed from `start` to `end`."""
    won = Q(status=StageKind.WON)
    rows = (
        Opportunity.objects.filter(
            status__in=(StageKind.WON, StageKind.LOST), closed_on__gte=start, closed_on__lte=end
        )
        .values("owner_id")
        .annotate(
            amount=Sum("amount_group", filter=won),
            won=Count("pk", filter=won),
            lost=Count("pk", filter=Q(status=StageKind.LOST)),
            without=Count("pk", filter=won & Q(amount_group=None)),
        )
        .order_by()
    )
    return {
        row["owner_id"]: Results(
            won_amount=row["amount"] or Decimal(0),
            won_deals=row["won"],
            lost_deals=row["lost"],
            without_group_amount=row["without"],
        )
        for row in rows
    }


def total(results: dict[int, Results], owners: frozenset[int] | None = None) -> Results:
    """The results of `owners` (everybody's without)."""
    summed = Results()
    for owner, figures in results.items():
        if owners is None or owner in owners:
            summed.add(figures)
    return summed


@dataclass(frozen=True)
class TeamView:
    """A team of the BU with everybody whose deals count for it (its members and below)."""

    team: Team
    member_ids: frozenset[int]


def teams_of(business_unit: BusinessUnit) -> list[TeamView]:
    """The BU's teams by name, each with its members loaded (two statements)."""
    teams = list(
        Team.objects.filter(business_unit=business_unit)
        .prefetch_related("members")
        .order_by("name", "pk")
    )
    children: dict[int | None, list[Team]] = {}
    for team in teams:
        children.setdefault(team.parent_id, []).append(team)

    def everybody(team: Team, seen: frozenset[int]) -> frozenset[int]:
        people = frozenset(member.pk for member in team.members.all())
        for child in children.get(team.pk, ()):
            if child.pk not in seen:  # a cycle cannot be saved, but never loop on one
                people |= everybody(child, seen | {child.pk})
        return people

    return [TeamView(team, everybody(team, frozenset({team.pk}))) for team in teams]
