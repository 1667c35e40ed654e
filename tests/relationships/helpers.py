"""Quick creators for tests of accounts, contacts and activities (import as
`crm.tests.relationships.helpers`). They write straight to the database, inside the BU's
schema, without the policy: for setting up a test, never for what a test checks.

    customer = golden(world.acme_id, "C-360", "Muster GmbH")
    account = bu_account("acme.de", customer, owner="acme.de.sales")
    person = bu_contact("acme.de", account, last_name="Müller", owner="acme.de.sales")
    bu_activity("acme.de", account=account, contact=person, kind="CALL")
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.masterdata.customers.identity import normalized_name
from crm.masterdata.customers.models import Customer
from crm.platform.accounts.authentication import user_principal
from crm.platform.accounts.models import User
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import load_policy
from crm.tenants.contacts.models import Activity, Contact, Task
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit
from crm.tests.fixtures.ids import bu_gid


def business_unit(handle: str) -> BusinessUnit:
    group, _dot, code = handle.partition(".")
    return BusinessUnit.objects.select_related("group").get(group__code=group, code=code)


def schema_of(handle: str) -> str:
    group, _dot, code = handle.partition(".")
    return BusinessUnit.schema_name_for(group, code)


def user_id(username: str | None) -> int | None:
    return User.objects.get(username=username).pk if username else None


def access_as(username: str, handle: str) -> Access:
    """The access of `username` in BU `handle` (run the service in that BU's schema)."""
    bu = business_unit(handle)
    return Access(user_principal(User.objects.get(username=username)), bu, load_policy(bu.group_id))


def gid(kind: str, record: Any, bu: str = "acme.de") -> str:
    return bu_gid(kind, record, bu)


def golden(
    group_id: int, code: str, legal_name: str, country: str = "DE", **fields: Any
) -> Customer:
    return Customer.objects.create(
        group_id=group_id,
        code=code,
        legal_name=legal_name,
        normalized_name=normalized_name(legal_name),
        country=country,
        **fields,
    )


def bu_account(
    handle: str,
    customer: Customer,
    *,
    code: str | None = None,
    owner: str | None = None,
    **fields: Any,
) -> LocalCustomer:
    with schema_context(schema_of(handle)):
        return LocalCustomer.objects.create(
            customer_id=customer.pk,
            local_code=code or f"L-{customer.code}",
            sales_owner_id=user_id(owner),
            **fields,
        )


def bu_contact(
    handle: str,
    account: LocalCustomer | None = None,
    *,
    last_name: str = "Müller",
    owner: str | None = None,
    **fields: Any,
) -> Contact:
    with schema_context(schema_of(handle)):
        return Contact.objects.create(
            account=account, last_name=last_name, owner_id=user_id(owner), **fields
        )


def bu_activity(
    handle: str,
    *,
    kind: str = "CALL",
    subject: str = "Call",
    owner: str | None = None,
    occurred_at: datetime.datetime | None = None,
    **targets: Any,
) -> Activity:
    with schema_context(schema_of(handle)):
        return Activity.objects.create(
            kind=kind,
            subject=subject,
            owner_id=user_id(owner),
            occurred_at=occurred_at or timezone.now(),
            **targets,
        )


def bu_task(
    handle: str,
    *,
    title: str = "Follow up",
    owner: str,
    due_at: datetime.datetime | None = None,
    **fields: Any,
) -> Task:
    with schema_context(schema_of(handle)):
        return Task.objects.create(
            title=title,
            owner_id=user_id(owner),
            due_at=due_at or timezone.now() + datetime.timedelta(days=1),
            **fields,
        )


def bu_deals(
    handle: str, account: LocalCustomer, *, owner: str, open_count: int = 1, closed_count: int = 1
) -> list[Any]:
    """Deals of `account`: open ones in a test pipeline's first stage, closed ones won."""
    from decimal import Decimal

    from crm.tenants.opportunities.models import Opportunity, Pipeline, Stage

    owner_id = user_id(owner)
    with schema_context(schema_of(handle)):
        pipeline, _created = Pipeline.objects.get_or_create(
            code="rel-test", defaults={"name": "Relationship tests"}
        )
        first, _created = Stage.objects.get_or_create(
            pipeline=pipeline,
            code="qualification",
            defaults={"name": "Qualification", "position": 1, "probability": 10},
        )
        won, _created = Stage.objects.get_or_create(
            pipeline=pipeline,
            code="won",
            defaults={"name": "Won", "position": 9, "probability": 100, "kind": "WON"},
        )
        today = timezone.now().date()
        deals = []
        for number in range(open_count + closed_count):
            closed = number >= open_count
            stage = won if closed else first
            deals.append(
                Opportunity.objects.create(
                    name=f"Deal {number}",
                    account=account,
                    pipeline=pipeline,
                    stage=stage,
                    stage_code=stage.code,
                    status=stage.kind,
                    owner_id=owner_id,
                    amount=Decimal("1000.00") + number,
                    currency="EUR",
                    expected_close=today + datetime.timedelta(days=number),
                    closed_on=today if closed else None,
                    probability=stage.probability,
                )
            )
        return deals
