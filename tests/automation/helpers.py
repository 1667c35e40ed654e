"""Shared set-up for the automation tests: people, records and rules in a BU's schema."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from crm.platform.accounts.authentication import user_principal
from crm.platform.accounts.models import Team, User
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import load_policy
from crm.tenants.automation.models import Rule
from crm.tenants.models import BusinessUnit

_numbers = itertools.count(1)
T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def bu(code: str = "de", group: str = "acme") -> BusinessUnit:
    return BusinessUnit.objects.select_related("group").get(group__code=group, code=code)


def user(username: str) -> User:
    return User.objects.get(username=username)


def access(username: str, code: str = "de", group: str = "acme") -> Access:
    business_unit = bu(code, group)
    return Access(
        user_principal(user(username)), business_unit, load_policy(business_unit.group_id)
    )


def sales_team(code: str = "de") -> Team:
    """acme.de.sales in a team managed by acme.de.manager (with e-mail addresses)."""
    sales, manager = user("acme.de.sales"), user("acme.de.manager")
    User.objects.filter(pk=sales.pk).update(email="sales@acme.example", language="en")
    User.objects.filter(pk=manager.pk).update(email="manager@acme.example", language="de")
    business_unit = bu(code)
    team = Team.objects.create(
        group_id=business_unit.group_id,
        business_unit=business_unit,
        name="Vertrieb",
        manager=manager,
    )
    team.members.add(sales)
    return team


def lead(**fields: Any) -> Any:
    from crm.tenants.leads.models import Lead

    values: dict[str, Any] = {"company_name": f"Muster {next(_numbers)} GmbH", "country": "DE"}
    values.update(fields)
    return Lead.objects.create(**values)


def account(owner: User | None = None, **fields: Any) -> Any:
    from crm.tenants.localcustomers.models import LocalCustomer

    number = next(_numbers)
    return LocalCustomer.objects.create(
        customer_id=900000 + number,
        local_code=f"AUTO-{number}",
        local_name=f"Kunde {number} AG",
        sales_owner_id=owner.pk if owner else None,
        **fields,
    )


def deal(owner: User, stage_code: str = "quote", **fields: Any) -> Any:
    from crm.tenants.opportunities.models import Opportunity, Pipeline, Stage

    pipeline, _created = Pipeline.objects.get_or_create(code="auto-test", defaults={"name": "T"})
    stages = {}
    for position, code in enumerate(("qualify", "quote", "negotiation", "won")):
        stages[code], _created = Stage.objects.get_or_create(
            pipeline=pipeline,
            code=code,
            defaults={"name": code, "position": position + 100, "probability": 10 * position},
        )
    customer = fields.pop("account", None) or account(owner)
    return Opportunity.objects.create(
        name=f"Deal {next(_numbers)}",
        account=customer,
        pipeline=pipeline,
        stage=stages[stage_code],
        stage_code=stage_code,
        owner=owner,
        amount=Decimal("1000.00"),
        currency="EUR",
        probability=30,
        **fields,
    )


def rule(**fields: Any) -> Rule:
    values: dict[str, Any] = {"code": f"test-rule-{next(_numbers)}", "name": "Test rule"}
    values.update(fields)
    return Rule.objects.create(**values)
