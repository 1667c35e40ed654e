"""The German demo BU's daily work: a sales team, lead routing, leads, an account with a contact
and deals, so that `make run` shows the lead-to-opportunity flow with real records.

Written through the same services the API uses (as the BU manager), so rules, automation and
the policy apply as they would for a user. Loaded once: a BU that has leads is left alone.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pghistory
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.masterdata.customers.models import Customer
from crm.masterdata.models import Material
from crm.platform.accounts.authentication import user_principal
from crm.platform.accounts.models import Team, User
from crm.platform.permissions.engine import Access, history_context
from crm.platform.permissions.policy_data import load_policy
from crm.tenants.contacts.services import create_contact, log_activity
from crm.tenants.leads.models import AssignmentMethod, AssignmentRule, Lead, TagRule
from crm.tenants.leads.services import capture_lead
from crm.tenants.localcustomers.services import account_for_customer
from crm.tenants.models import BusinessUnit, Group
from crm.tenants.opportunities.services import advance, create_opportunity

CUSTOMERS = [
    # code, legal name, country, industry, credit limit in the group currency (CNY)
    ("C-DE-0001", "Rheinwerk Anlagenbau GmbH", "DE", "MACHINERY", Decimal("2000000.00")),
    # A small limit: the quote-to-cash demo's second German order is blocked by credit control.
    ("C-DE-0002", "Isar Medizintechnik AG", "DE", "MEDICAL", Decimal("150000.00")),
    ("C-JP-0001", "Kansai Seimitsu Kikai K.K.", "JP", "MACHINERY", Decimal("3000000.00")),
]
LEADS = [
    # first name, last name, company, e-mail, country, industry, source, minutes ago
    (
        "Anna",
        "Weber",
        "Nordlicht Fahrzeugtechnik GmbH",
        "a.weber@nordlicht.example",
        "DE",
        "AUTOMOTIVE",
        "TRADE_FAIR",
        60 * 30,
    ),
    (
        "Lukas",
        "Brandt",
        "Alpen Messsysteme GmbH",
        "l.brandt@alpen-mess.example",
        "AT",
        "INDUSTRIAL",
        "WEBSITE",
        90,
    ),
    (
        "Sophie",
        "Keller",
        "Keller Kliniktechnik",
        "keller@kliniktechnik.example",
        "CH",
        "MEDICAL",
        "DISTRIBUTOR",
        15,
    ),
]


def demo_customers(group: Group) -> dict[str, Customer]:
    """The golden customers the German and Japanese demos sell to: group master data, created
    with the rest of it in every cell (HQ's are replicated; see crm.infra.demo)."""
    customers = {}
    for code, name, country, industry, credit_limit in CUSTOMERS:
        customers[code], _created = Customer.objects.get_or_create(
            group=group,
            code=code,
            defaults={
                "legal_name": name,
                "country": country,
                "industry": industry,
                "credit_limit": credit_limit,
            },
        )
    return customers


def load_demo_sales(group: Group, prefix: str) -> str:
    """Load the German BU's sales demo if its schema is in this cell; returns what was done."""
    business_unit = BusinessUnit.objects.select_related("group").get(group=group, code="de")
    manager = User.objects.get(username=f"{prefix}.de.manager")
    sales = User.objects.get(username=f"{prefix}.de.sales")
    support = User.objects.get(username=f"{prefix}.de.support")
    team, _created = Team.objects.get_or_create(
        group=group,
        business_unit=business_unit,
        name="Vertrieb DACH",
        defaults={"manager": manager},
    )
    team.members.add(sales, support)
    customers = demo_customers(group)
    access = Access(user_principal(manager), business_unit, load_policy(group.pk), origin="demo")
    with schema_context(business_unit.schema_name):
        if Lead.objects.exists():
            return "sales demo already loaded"
        why = history_context(access, "demo data", "loadDemo")
        with transaction.atomic(), pghistory.context(**why):
            _load(access, team, sales, customers, group)
        access.flush()
    return f"sales demo: {len(LEADS)} leads, 1 account, 2 deals in {business_unit.handle}"


def _load(
    access: Access, team: Team, sales: User, customers: dict[str, Customer], group: Group
) -> None:
    TagRule.objects.create(
        tag="dach", conditions=[{"field": "country", "op": "in", "value": ["DE", "AT", "CH"]}]
    )
    TagRule.objects.create(
        tag="medical", conditions=[{"field": "industry", "op": "eq", "value": "MEDICAL"}]
    )
    AssignmentRule.objects.create(
        name="DACH: round robin in the sales team",
        method=AssignmentMethod.ROUND_ROBIN,
        team_id=team.pk,
        conditions=[{"field": "country", "op": "in", "value": ["DE", "AT", "CH"]}],
    )
    now = timezone.now()
    for first, last, company, email, country, industry, source, minutes in LEADS:
        captured = capture_lead(
            access,
            {
                "first_name": first,
                "last_name": last,
                "company_name": company,
                "email": email,
                "country": country,
                "industry": industry,
                "source": source,
            },
            idempotency_key=f"demo-{email}",
            channel="FORM",
        )
        Lead.objects.filter(pk=captured.lead.pk).update(
            created_at=now - datetime.timedelta(minutes=minutes)
        )
    account = account_for_customer(
        access, customer_id=customers["C-DE-0001"].pk, local_code="RW-100", owner_id=sales.pk
    )
    contact = create_contact(
        access,
        values={
            "first_name": "Jonas",
            "last_name": "Hartmann",
            "job_title": "Leiter Einkauf",
            "buying_role": "COMMERCIAL_BUYER",
            "email": "j.hartmann@rheinwerk.example",
            "language": "de",
            "consent_email": True,
        },
        account=account,
        owner_id=sales.pk,
    )
    panels = list(
        Material.objects.filter(group=group, code__in=["LCD-27-4K", "TOUCH-15-IND"]).values_list(
            "pk", flat=True
        )
    )
    close = timezone.now().date() + datetime.timedelta(days=60)
    terminals = create_opportunity(
        access,
        name="Bedienterminals Linie 3",
        account=account,
        owner_id=sales.pk,
        amount=Decimal("48000.00"),
        currency="EUR",
        expected_close=close,
        primary_contact=contact,
        product_ids={pk: Decimal("120") for pk in panels},
        deal_class="NEW_BUSINESS",
        grade="A",
    )
    log_activity(
        access,
        kind="VISIT",
        subject="Werksbesuch Linie 3",
        account=account,
        contact=contact,
        opportunity=terminals,
    )
    for stage in ("needs_analysis", "solution", "quote"):
        advance(access, terminals, stage, "demo")
    create_opportunity(
        access,
        name="Ersatzteile 2027",
        account=account,
        owner_id=sales.pk,
        amount=Decimal("9500.00"),
        currency="EUR",
        expected_close=close + datetime.timedelta(days=90),
        deal_class="RENEWAL",
        grade="C",
    )
