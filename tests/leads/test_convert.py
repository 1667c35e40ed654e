"""Converting a qualified lead: contact, account and opportunity in one transaction, or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.core.errors import CrmError, ErrorCode
from crm.tests.leads.helpers import codes, lead_source, make_lead, payload

DE = "bu_acme_de"
CONVERT = """mutation($id: ID!, $customer: ID!, $localCode: String, $name: String,
  $amount: MoneyAmountInput) {
  leadConvert(id: $id, customer: $customer, localCode: $localCode, opportunityName: $name,
    amount: $amount) {
    errors { field code }
    contact account opportunity
    lead { status contact account opportunity }
  } }"""


@pytest.fixture
def de(world, settings):
    settings.REGION = "eu"
    lead_source("WEBSITE")
    return world


def golden(world: Any, name: str = "Kraftwerk Displays GmbH", code: str = "CONV-1") -> Any:
    from crm.masterdata.customers.identity import normalized_name
    from crm.masterdata.customers.models import Customer

    return Customer.objects.create(
        group_id=world.acme_id,
        code=code,
        legal_name=name,
        normalized_name=normalized_name(name),
        country="DE",
    )


def qualified(**fields: Any) -> Any:
    with schema_context(DE):
        return make_lead(
            owner="acme.de.sales",
            status="QUALIFIED",
            first_name="Anna",
            last_name="Schmidt",
            email="anna@kraftwerk.example",
            phone="+4989123",
            **fields,
        )


def counts() -> tuple[int, int, int]:
    from crm.tenants.contacts.models import Contact
    from crm.tenants.localcustomers.models import LocalCustomer
    from crm.tenants.opportunities.models import Opportunity

    with schema_context(DE):
        return (Contact.objects.count(), LocalCustomer.objects.count(), Opportunity.objects.count())


def convert(
    graphql: Any, lead: Any, customer: Any, as_: str = "acme.de.sales", **more: Any
) -> dict[str, Any]:
    variables = {
        "id": to_global_id("Lead", lead.pk),
        "customer": to_global_id("Customer", customer.pk),
        **more,
    }
    return payload(graphql(CONVERT, variables, bu="acme.de", as_=as_), "leadConvert")


def test_conversion_creates_contact_account_and_opportunity(de, graphql, monkeypatch):
    from crm.tenants.automation import engine
    from crm.tenants.contacts.models import Contact
    from crm.tenants.leads.models import Lead
    from crm.tenants.localcustomers.models import LocalCustomer
    from crm.tenants.opportunities.models import Opportunity

    seen: list[Any] = []
    monkeypatch.setattr(engine, "run", lambda access, event: seen.append(event))
    customer = golden(de)
    lead = qualified()
    found = convert(
        graphql, lead, customer, localCode="K-100", amount={"amount": "12000.00", "currency": "EUR"}
    )
    assert found["errors"] == []
    assert found["lead"]["status"] == "CONVERTED"
    with schema_context(DE):
        row = Lead.objects.get(pk=lead.pk)
        contact = Contact.objects.get(pk=row.contact_id)
        account = LocalCustomer.objects.get(pk=row.account_id)
        deal = Opportunity.objects.get(pk=row.opportunity_id)
    assert found["contact"] == to_global_id("Contact", contact.pk)
    assert found["lead"]["opportunity"] == to_global_id("Opportunity", deal.pk)
    assert (contact.first_name, contact.last_name, contact.email, contact.phone) == (
        "Anna",
        "Schmidt",
        "anna@kraftwerk.example",
        "+4989123",
    )
    assert contact.lead_id == lead.pk
    assert contact.account_id == account.pk
    assert (account.customer_id, account.local_code) == (customer.pk, "K-100")
    assert deal.account_id == account.pk
    assert deal.lead_id == lead.pk
    assert deal.primary_contact_id == contact.pk
    assert str(deal.amount) == "12000.0000"
    assert deal.currency == "EUR"
    assert row.converted_at is not None
    stage_moves = [
        e.changes["stage"] for e in seen if e.trigger == "STAGE_CHANGED" and e.record_type == "lead"
    ]
    assert stage_moves == [("QUALIFIED", "CONVERTED")]


def test_existing_account_is_reused(de, graphql):
    from crm.tenants.localcustomers.models import LocalCustomer

    customer = golden(de)
    with schema_context(DE):
        account = LocalCustomer.objects.create(customer_id=customer.pk, local_code="OLD-1")
    found = convert(graphql, qualified(), customer)
    assert found["errors"] == []
    assert found["account"] == to_global_id("Account", account.pk)
    assert counts()[1] == 1


def test_generated_local_code_is_the_golden_code(de, graphql):
    from crm.tenants.localcustomers.models import LocalCustomer

    customer = golden(de, code="CONV-7")
    assert convert(graphql, qualified(), customer)["errors"] == []
    with schema_context(DE):
        assert LocalCustomer.objects.get(customer_id=customer.pk).local_code == "CONV-7"


def test_converting_twice_is_record_closed(de, graphql):
    customer = golden(de)
    lead = qualified()
    assert convert(graphql, lead, customer)["errors"] == []
    before = counts()
    again = convert(graphql, lead, customer)
    assert codes(again) == [("id", "RECORD_CLOSED")]
    assert counts() == before


def test_unqualified_lead_is_not_converted(de, graphql):
    with schema_context(DE):
        lead = make_lead(owner="acme.de.sales", status="CONTACTED", last_name="X")
    found = convert(graphql, lead, golden(de))
    assert codes(found) == [("id", "INVALID_STAGE_CHANGE")]
    assert counts() == (0, 0, 0)


def test_failing_opportunity_rolls_everything_back(de, graphql, monkeypatch):
    from crm.tenants.leads.models import Lead
    from crm.tenants.opportunities import services

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise CrmError(
            ErrorCode.STAGE_CONDITIONS_NOT_MET,
            field="pipeline",
            object="opportunity",
            stage="x",
            missing="y",
        )

    monkeypatch.setattr(services, "create_opportunity", broken)
    lead = qualified()
    found = convert(graphql, lead, golden(de))
    assert codes(found) == [("pipeline", "STAGE_CONDITIONS_NOT_MET")]
    assert counts() == (0, 0, 0)
    with schema_context(DE):
        row = Lead.objects.get(pk=lead.pk)
        assert (row.status, row.contact_id, row.account_id) == ("QUALIFIED", None, None)


def test_bad_conversion_inputs(de, graphql):
    lead = qualified()
    rival = golden(de, code="CONV-R")
    rival.group_id = de.rival_id
    rival.save()
    assert codes(convert(graphql, lead, rival)) == [("customer", "NOT_FOUND")]
    malformed = payload(
        graphql(
            CONVERT,
            {"id": to_global_id("Lead", lead.pk), "customer": "Q3VzdG9tZXI6YWJj"},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadConvert",
    )
    assert codes(malformed) == [("customer", "MALFORMED_ID")]
    customer = golden(de)
    with schema_context(DE):
        from crm.tenants.localcustomers.models import LocalCustomer

        LocalCustomer.objects.create(
            customer_id=golden(de, "Other", "CONV-O").pk, local_code="TAKEN"
        )
    taken = convert(graphql, lead, customer, localCode="TAKEN")
    assert codes(taken) == [("localCode", "ALREADY_EXISTS")]
    with schema_context(DE):
        nameless = make_lead(owner="acme.de.sales", status="QUALIFIED", last_name="")
    assert codes(convert(graphql, nameless, customer)) == [("lastName", "REQUIRED_FIELD_MISSING")]
    assert counts() == (0, 1, 0)


def test_legal_cannot_convert(de, graphql):
    found = convert(graphql, qualified(), golden(de), as_="acme.de.legal")
    assert codes(found) == [("id", "NOT_FOUND")]  # legal does not see leads at all
