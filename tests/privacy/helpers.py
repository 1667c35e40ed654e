"""Set-up for the privacy tests: one person's records in a business unit's schema, written
straight to the database (set-up only, never what a test checks), and the GraphQL documents.

    person = seed_person("acme.de", email="anna.zyxw@example.org", phone="+49 89 1234567")
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.platform.accounts.models import User
from crm.tenants.automation.models import ExternalEvent, Notification
from crm.tenants.contacts.models import Activity, Contact, Task
from crm.tenants.leads.models import Lead, LeadStatus
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.models import Opportunity
from crm.tenants.personaldata.consents import ConsentEntry, ConsentSubject, append
from crm.tenants.personaldata.models import ConsentSource, Purpose
from crm.tests.automation import helpers as automation


def business_unit(handle: str) -> BusinessUnit:
    group, _dot, code = handle.partition(".")
    return BusinessUnit.objects.select_related("group").get(group__code=group, code=code)


def schema(handle: str) -> str:
    group, _dot, code = handle.partition(".")
    return BusinessUnit.schema_name_for(group, code)


@dataclass(frozen=True)
class Person:
    handle: str
    contact_id: int
    lead_id: int
    activity_ids: tuple[int, ...]
    deal_id: int
    task_id: int
    notification_id: int


def seed_person(
    handle: str,
    *,
    email: str,
    phone: str,
    first_name: str = "Anna",
    last_name: str = "Zyxwerda",
    owner: str = "acme.de.sales",
    amount: str = "12500.00",
    mobile: str = "+49 170 5550001",
    birthday: str = "1980-02-29",
    job_title: str = "Head of purchasing",
) -> Person:
    """A person who filled a form (lead), became a contact with a deal, was called and written
    to, gave consent, and whom automation and an integration wrote about."""
    seller = User.objects.get(username=owner)
    now = timezone.now()
    with schema_context(schema(handle)):
        lead = Lead.objects.create(
            first_name=first_name,
            last_name=last_name,
            company_name=f"{last_name} Consulting",
            email=email.lower(),
            phone=phone.replace(" ", ""),
            country="DE",
            message=f"Please call me, {first_name} {last_name}",
            status=LeadStatus.CONVERTED,
            channel="FORM",
            owner=seller,
            custom={"hobby": f"{last_name} sailing"},
        )
        account = automation.account(seller)
        contact = Contact.objects.create(
            account=account,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            mobile=mobile,
            job_title=job_title,
            owner=seller,
            lead_id=lead.pk,
            custom={"birthday": birthday},
        )
        Lead.objects.filter(pk=lead.pk).update(contact_id=contact.pk, account_id=account.pk)
        deal = automation.deal(seller, "quote", account=account, primary_contact=contact)
        Opportunity.objects.filter(pk=deal.pk).update(amount=Decimal(amount))
        activities = (
            Activity.objects.create(
                kind="CALL",
                subject=f"Call with {first_name} {last_name}",
                body=f"Reached {last_name} at {phone}",
                owner=seller,
                account=account,
                contact=contact,
            ),
            Activity.objects.create(
                kind="EMAIL",
                subject="Form follow-up",
                body=f"Wrote to {email}",
                owner=seller,
                lead=lead,
            ),
        )
        task = Task.objects.create(
            title=f"Send offer to {first_name} {last_name}",
            description=f"Use {email}",
            due_at=now + datetime.timedelta(days=2),
            owner=seller,
            contact=contact,
            account=account,
        )
        notification = Notification.objects.create(
            recipient=seller,
            subject=f"New contact: {first_name} {last_name}",
            body=f"Mail {email}",
            record_type="contact",
            record_id=contact.pk,
        )
        ExternalEvent.objects.create(
            kind="EMAIL_OPENED",
            record_type="contact",
            record_id=contact.pk,
            external_id=f"evt-{handle}-{contact.pk}",
            details={"recipient": email},
        )
        append(
            ConsentSubject.lead(lead.pk),
            ConsentEntry(
                purpose=Purpose.MARKETING_EMAIL,
                granted=True,
                source=ConsentSource.WEB_FORM,
                at=now - datetime.timedelta(days=30),
                evidence=f"newsletter form signed by {first_name} {last_name}",
            ),
            actor="web form",
            user_id=None,
        )
        append(
            ConsentSubject.contact(contact.pk),
            ConsentEntry(
                purpose=Purpose.PHONE,
                granted=True,
                source=ConsentSource.SALES_REP,
                at=now - datetime.timedelta(days=3),
            ),
            actor=owner,
            user_id=seller.pk,
        )
    return Person(
        handle=handle,
        contact_id=contact.pk,
        lead_id=lead.pk,
        activity_ids=tuple(activity.pk for activity in activities),
        deal_id=deal.pk,
        task_id=task.pk,
        notification_id=notification.pk,
    )


def traces(values: list[str], schemas: list[str]) -> list[str]:
    """Every column of every table in `schemas` that holds one of `values` (in any text, JSON or
    array column, case-insensitively): `schema.table.column`."""
    patterns = [f"%{value}%" for value in values]
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_schema, c.table_name, c.column_name
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = ANY(%s) AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY')
            ORDER BY 1, 2, 3
            """,
            [schemas],
        )
        columns = cursor.fetchall()
        for table_schema, table, column in columns:
            cursor.execute(
                f'SELECT count(*) FROM "{table_schema}"."{table}" '  # noqa: S608 - catalog names
                f'WHERE "{column}"::text ILIKE ANY(%s)',
                [patterns],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table_schema}.{table}.{column}")
    return found


def deals_total(handle: str) -> tuple[int, Decimal]:
    with schema_context(schema(handle)):
        deals = list(Opportunity.objects.values_list("amount", flat=True))
        return len(deals), sum((amount or Decimal(0) for amount in deals), Decimal(0))


def payload(reply: Any, name: str) -> Any:
    assert not reply.errors, reply.errors
    return reply.data[name]


CREATE = """
mutation($kind: DataSubjectRequestKind!, $email: String, $phone: String, $at: DateTime,
         $note: String) {
  dataSubjectRequestCreate(kind: $kind, email: $email, phone: $phone, receivedAt: $at,
                           note: $note) {
    errors { field code }
    request { id kind identifier identifierType status receivedAt deadline overdue region }
  }
}
"""
FULFIL = """
mutation($id: ID!) {
  dataSubjectRequestFulfil(id: $id) {
    errors { field code }
    request { id status identifier handledBy closedAt result { businessUnit recordType count }
              export { url records expiresAt } }
  }
}
"""
START = """
mutation($id: ID!) {
  dataSubjectRequestStart(id: $id) { errors { field code } request { status handledBy } }
}
"""
REJECT = """
mutation($id: ID!, $reason: String!) {
  dataSubjectRequestReject(id: $id, rejectionReason: $reason) {
    errors { field code } request { status rejectionReason closedAt }
  }
}
"""
REQUESTS = """
query($filter: DataSubjectRequestFilter) {
  dataSubjectRequests(first: 20, filter: $filter) {
    totalCount edges { node { id kind status identifier overdue deadline } }
  }
}
"""
