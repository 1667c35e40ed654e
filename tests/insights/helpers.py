"""Quick creators for the dashboards' tests (import as `crm.tests.insights.helpers`).

Dashboards only read, so their records are written straight into the BU's schema (call these
inside `schema_context`), with exactly the dates, owners and group amounts a test needs:

    with schema_context(DE):
        account = account_of("acme.de.sales", industry="Automotive", country="DE", grade="A")
        order(account, days_ago(3))
        payment(account, days_ago(2), "100.00")
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from crm.masterdata.customers.identity import normalized_name
from crm.masterdata.customers.models import Customer
from crm.platform.accounts.models import Membership, Role, User
from crm.tenants.leads.models import Lead
from crm.tenants.ledger.models import Invoice, Order, Payment
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.opportunities.models import Opportunity, Pipeline, Stage
from crm.tests.leads.helpers import make_lead
from crm.tests.relationships.helpers import business_unit, user_id

_numbers = itertools.count(1)
RATE = Decimal("0.000000000001")


def d(value: str) -> Decimal:
    return Decimal(value)


def account_of(
    owner: str | None = None, handle: str = "acme.de", *, country: str = "DE", **golden: Any
) -> LocalCustomer:
    """A golden customer (industry, grade... as given) and the BU's account for it."""
    number = next(_numbers)
    unit = business_unit(handle)
    name = f"Insight {number} GmbH"
    customer = Customer.objects.create(
        group_id=unit.group_id,
        code=f"INS-{number}-{timezone.now().timestamp():.0f}",
        legal_name=name,
        normalized_name=normalized_name(name),
        country=country,
        **golden,
    )
    return LocalCustomer.objects.create(
        customer_id=customer.pk,
        local_code=f"INS-{number}",
        local_name=name,
        sales_owner_id=user_id(owner),
    )


def _converted(day: datetime.date) -> dict[str, Any]:
    return {
        "currency": "EUR",
        "group_currency": "CNY",
        "fx_date": day,
        "fx_rate": Decimal(8),
        "fx_rate_date": day,
        "fx_rate_type": "SPOT",
    }


def order(
    account: LocalCustomer,
    day: datetime.date,
    *,
    total: str = "100.00",
    confirmed: bool = True,
    status: str = "OPEN",
    cancelled_on: datetime.date | None = None,
) -> Order:
    """An order of the account dated `day` (confirmed by default)."""
    amount = Decimal(total)
    return Order.objects.create(
        number=f"SO-INS-{next(_numbers)}",
        account=account,
        owner_id=account.sales_owner_id,
        order_date=day,
        confirmed=confirmed,
        status=status,
        cancelled_on=cancelled_on,
        net_total=amount,
        total=amount,
        total_group=amount * 8,
        **_converted(day),
    )


def payment(account: LocalCustomer, day: datetime.date, amount_group: str) -> Payment:
    """A payment received from the account on `day`, worth `amount_group` CNY (rate 8)."""
    group = Decimal(amount_group)
    amount = (group / 8).quantize(Decimal("0.01"))
    return Payment.objects.create(
        number=f"PAY-INS-{next(_numbers)}",
        payer=account,
        owner_id=account.sales_owner_id,
        received_on=day,
        amount=amount,
        amount_group=group,
        unallocated_amount=amount,
        **_converted(day),
    )


def lead(
    *,
    source: str | None = "WEBSITE",
    campaign: Any = None,
    status: str = "NEW",
    owner: str | None = "acme.de.sales",
    created: datetime.datetime | None = None,
    **fields: Any,
) -> Lead:
    return make_lead(
        owner=owner,
        status=status,
        source=source,
        campaign=campaign,
        created_at=created or timezone.now(),
        **fields,
    )


def won_deal(
    closed_on: datetime.date,
    amount_group: str | None,
    *,
    from_lead: Lead | None = None,
    owner: str = "acme.de.sales",
    status: str = "WON",
    account: LocalCustomer | None = None,
) -> Opportunity:
    """A deal closed on `closed_on` (won by default) worth `amount_group` CNY (None: no rate)."""
    pipeline = Pipeline.objects.get(is_default=True)
    stage = Stage.objects.filter(pipeline=pipeline, kind=status).order_by("position").first()
    assert stage is not None
    deal = Opportunity.objects.create(
        name=f"Deal {next(_numbers)}",
        account=account or account_of(owner),
        pipeline=pipeline,
        stage=stage,
        stage_code=stage.code,
        status=status,
        owner_id=user_id(owner),
        amount=Decimal(amount_group) / 8 if amount_group else Decimal(100),
        currency="EUR",
        amount_group=Decimal(amount_group) if amount_group else None,
        closed_on=closed_on,
        probability=100 if status == "WON" else 0,
        lead_id=from_lead.pk if from_lead else None,
    )
    if from_lead is not None:
        Lead.objects.filter(pk=from_lead.pk).update(opportunity_id=deal.pk)
    return deal


def holder(role: str, handle: str) -> str:
    """A user holding `role` in BU `handle` (made once per test)."""
    username = f"insights.{handle}.{role}"
    if not User.objects.filter(username=username).exists():
        unit = business_unit(handle)
        user = User.objects.create_user(username=username, password="pw", group=unit.group)
        Membership.objects.create(
            group=unit.group,
            user=user,
            role=Role.objects.get(group=unit.group, code=role),
            business_unit=unit,
        )
    return username


def open_invoice(
    account: LocalCustomer, issued: datetime.date, due: datetime.date, amount: str, group: str
) -> Invoice:
    """An issued invoice, nothing paid, of `amount` EUR worth `group` CNY, with its order."""
    total = Decimal(amount)
    source = order(account, issued, total=amount, status="DELIVERED")
    Order.objects.filter(pk=source.pk).update(invoiced_amount=total)
    return Invoice.objects.create(
        number=f"INV-INS-{next(_numbers)}",
        order=source,
        account=account,
        owner_id=account.sales_owner_id,
        status="ISSUED",
        issue_date=issued,
        due_date=due,
        net_total=total,
        total=total,
        total_group=Decimal(group),
        open_amount=total,
        open_amount_group=Decimal(group),
        **{**_converted(issued), "fx_rate": (Decimal(group) / total).quantize(RATE)},
    )
