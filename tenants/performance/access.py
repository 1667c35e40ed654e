"""Targets and the sales dashboards under the policy.

A target is reached by the own scope through its subject: a user's target by that user, a
team's target by the team's members (the team's managers reach it through the team scope, as
they reach their people's own targets); a BU's target only by BU- and group-scope rules. The
performance dashboard shows a subject's figures (what it won, its target, the attainment) to
whoever the policy lets view that subject's targets, so a salesperson sees their own figures and
their teams', a manager the whole BU's.

The funnel and the leaderboard are dashboards of the business unit as a whole: the policy type
`sales_dashboard` (its record is the BU, one field per dashboard) says who may ask for them.
The funnel then counts only the deals the caller may view; the leaderboard ranks everybody of
the BU for those it is granted to.
"""

from __future__ import annotations

from typing import Any

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.models import BusinessUnit
from crm.tenants.performance import models


def team_member_ids(record: Any) -> frozenset[int]:
    """The members of a target's team (prefetched `team__members` in lists; probes for the
    dashboards carry their team with its members loaded)."""
    target: models.Target = record
    if target.team_id is None:
        return frozenset()
    team = target.team
    if team is None:  # deleted since: nobody reaches the target through it
        return frozenset()
    return frozenset(member.pk for member in team.members.all())


TARGET = register(
    ObjectType(
        name="target",
        model=models.Target,
        graphql_type="Target",
        fields=tuple(
            GovernedField(name)
            for name in (
                "subject",
                "user",
                "team",
                "period",
                "period_start",
                "metric",
                "amount",
                "deal_count",
                "note",
                "set_by",
                "updated_at",
            )
        ),
        group_field=None,
        owner_field="user",
        members_lookup="team__members",
        members_of=team_member_ids,
    )
)

SALES_DASHBOARD = register(
    ObjectType(
        name="sales_dashboard",
        model=BusinessUnit,
        graphql_type="SalesDashboard",
        fields=(GovernedField("funnel"), GovernedField("leaderboard")),
        group_field=None,
    )
)
