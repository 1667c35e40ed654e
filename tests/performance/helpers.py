"""Quick creators for the sales-performance tests (import as `crm.tests.performance.helpers`).

    seller = member("acme.de.seller2", "front_sales")          # a second salesperson of acme.de
    north = make_team("Nord", ["acme.de.sales", seller], manager="acme.de.manager")
    with schema_context(DE):
        set_target("USER", user="acme.de.sales", amount="10000.00")
        won(as_="acme.de.sales", amount="1000.00", currency="EUR")

Set-up helpers act as acme.de's manager through the services (or write straight to the
database where a test needs a past date); what a test checks it asks again as the person it is
about, mostly through GraphQL.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from crm.platform.accounts.models import Membership, Role, Team, User
from crm.tenants.opportunities.models import Opportunity, OpportunityEvent
from crm.tenants.performance import targets
from crm.tenants.performance.models import Target
from crm.tests.ledger.helpers import gid
from crm.tests.opportunities.helpers import access_of, make_deal
from crm.tests.relationships.helpers import business_unit, schema_of

DE, JP = schema_of("acme.de"), schema_of("acme.jp")

__all__ = ["DE", "JP", "gid"]


def user_id(username: str) -> int:
    pk: int = User.objects.get(username=username).pk
    return pk


def member(username: str, role: str, handle: str = "acme.de") -> str:
    """A user holding `role` in BU `handle` (made once per test)."""
    unit = business_unit(handle)
    user, _created = User.objects.get_or_create(
        username=username, defaults={"group": unit.group, "password": "-"}
    )
    Membership.objects.get_or_create(
        group=unit.group,
        user=user,
        role=Role.objects.get(group=unit.group, code=role),
        business_unit=unit,
    )
    return username


def make_team(
    name: str,
    members: Iterable[str],
    *,
    manager: str | None = None,
    parent: Team | None = None,
    handle: str = "acme.de",
) -> Team:
    unit = business_unit(handle)
    team = Team.objects.create(
        group=unit.group,
        business_unit=unit,
        name=name,
        parent=parent,
        manager=User.objects.get(username=manager) if manager else None,
    )
    team.members.set(User.objects.filter(username__in=list(members)))
    return team


def this_month(handle: str = "acme.de") -> datetime.date:
    return business_unit(handle).today().replace(day=1)


def this_quarter(handle: str = "acme.de") -> datetime.date:
    today = business_unit(handle).today()
    return datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)


def set_target(
    subject: str,
    *,
    user: str | None = None,
    team: Team | None = None,
    period: str = "MONTH",
    start: datetime.date | None = None,
    metric: str = "WON_REVENUE",
    amount: str | None = "10000.00",
    count: int | None = None,
    bu: str = "de",
) -> Target:
    """A target set by the BU's manager (call inside the BU's schema)."""
    handle = f"acme.{bu}"
    manager = "acme.de.manager" if bu == "de" else member(f"acme.{bu}.boss", "bu_manager", handle)
    return targets.target_create(
        access_of(manager, bu),
        subject=subject,
        user_id=user_id(user) if user else None,
        team_id=team.pk if team else None,
        period=period,
        period_start=start or (this_month(handle) if period == "MONTH" else this_quarter(handle)),
        metric=metric,
        amount=Decimal(amount) if amount is not None and metric == "WON_REVENUE" else None,
        count=count if metric == "WON_DEALS" else None,
    )


def won(as_: str = "acme.de.sales", amount: str = "1000.00", **fields: Any) -> Opportunity:
    """A deal of `as_` won today (make_deal runs in the BU's schema)."""
    return make_deal(stage="won", as_=as_, amount=amount, **fields)


def lost(as_: str = "acme.de.sales", stage: str = "lost", **fields: Any) -> Opportunity:
    return make_deal(stage=stage, as_=as_, **fields)


def moved_back(deal: Opportunity, days: int) -> Opportunity:
    """The deal's whole trail (and creation, stage entry, close date) `days` earlier (call
    inside the deal's schema): a deal of an earlier period."""
    delta = datetime.timedelta(days=days)
    for event in OpportunityEvent.objects.filter(opportunity=deal):
        OpportunityEvent.objects.filter(pk=event.pk).update(at=event.at - delta)
    deal.refresh_from_db()
    Opportunity.objects.filter(pk=deal.pk).update(
        created_at=deal.created_at - delta,
        stage_entered_at=deal.stage_entered_at - delta,
        closed_on=deal.closed_on - delta if deal.closed_on else None,
    )
    deal.refresh_from_db()
    return deal


def now() -> datetime.datetime:
    return timezone.now()
