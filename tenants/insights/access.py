"""The dashboards under the policy: one type, one field per dashboard, and how far each reaches.

The record is the business unit itself. A rule that lets a role view a dashboard's field opens
that dashboard; the rule's scope says how far its figures reach: the group or the BU scope
everything the caller may view of the types the figures come from; the team scope only the
records of the people of the teams the caller manages (and below); the own scope only the
caller's own (a salesperson's RFM segments are those of the customers they look after). The
figures are always also limited to what the caller may view of those types, so a dashboard never
shows more than the caller's lists would.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.platform.permissions.vocabulary import Action, FieldMode, Scope
from crm.tenants.models import BusinessUnit

CHANNEL_ROI = "channel_roi"
CUSTOMER_DISTRIBUTION = "customer_distribution"
RFM = "rfm"

INSIGHT = register(
    ObjectType(
        name="insight",
        model=BusinessUnit,
        # No GraphQL type has this name: the dashboards are root queries that ask the engine.
        graphql_type="Insight",
        fields=tuple(GovernedField(name) for name in (CHANNEL_ROI, CUSTOMER_DISTRIBUTION, RFM)),
    )
)


@dataclass(frozen=True)
class Reach:
    """Whose records a dashboard covers: `users` None for everyone's (that the caller may
    view), else only the records these users own (or look after)."""

    users: frozenset[int] | None = None

    @property
    def everything(self) -> bool:
        return self.users is None


def reach(access: Access, dashboard: str) -> Reach:
    """How far `dashboard` reaches for the caller, or PERMISSION_DENIED (naming the field)."""
    access.require(Action.VIEW, INSIGHT, [dashboard])
    scopes: set[Scope] = set()
    for grant, rule in access.rules(INSIGHT):
        if Action.VIEW not in rule.actions or rule.mode(dashboard) < FieldMode.READ:
            continue
        if rule.scope == Scope.BUSINESS_UNIT and grant.business_unit_id != access.business_unit.pk:
            continue
        scopes.add(rule.scope)
    if Scope.GROUP in scopes or Scope.BUSINESS_UNIT in scopes:
        return Reach()
    users: set[int] = set()
    if Scope.TEAM in scopes:
        users |= access.team_user_ids
    if Scope.OWN in scopes and access.principal.user_id is not None:
        users.add(access.principal.user_id)
    return Reach(frozenset(users))
