"""Converting a qualified lead: contact, account and opportunity in one transaction, or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.core.errors import CrmError, ErrorCode
from crm.tests.fixtures.ids import bu_gid
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
    assert found["contact"] == bu_gid("Contact", contact)
    assert found["lead"]["opportunity"] == bu_gid("Opportunity", deal)
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
    assert found["account"] == bu_gid("Account", account)
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


# -- a company HQ does not know yet: through a request for a new golden customer ----------------

REQUEST = """mutation($id: ID!, $new: NewCustomerInput!, $why: String, $confirm: Boolean) {
  leadConvert(id: $id, newCustomer: $new, why: $why, confirmDuplicate: $confirm) {
    errors { field code }
    duplicates { customer { code } }
    changeRequest { id kind status proposed { field value } }
    contact opportunity
    lead { status contact }
  } }"""
AWAITED = """mutation($id: ID!, $customer: ID) {
  leadConvert(id: $id, customer: $customer) {
    errors { field code } contact account opportunity lead { status } } }"""
APPROVE = """mutation($id: ID!) {
  changeRequestApprove(id: $id) { errors { code } changeRequest { customer { id } } } }"""
REJECT = """mutation($id: ID!) {
  changeRequestReject(id: $id, note: "already known") { errors { code } } }"""
NEW_COMPANY = {"legalName": "Kraftwerk Optics GmbH", "country": "DE", "taxId": "DE136695976"}


def request_customer(graphql: Any, lead: Any, **more: Any) -> dict[str, Any]:
    variables = {"id": to_global_id("Lead", lead.pk), "new": NEW_COMPANY, "why": "new", **more}
    return payload(graphql(REQUEST, variables, bu="acme.de", as_="acme.de.sales"), "leadConvert")


def awaited(graphql: Any, lead: Any, customer: Any = None) -> dict[str, Any]:
    variables = {"id": to_global_id("Lead", lead.pk)}
    if customer is not None:
        variables["customer"] = to_global_id("Customer", customer.pk)
    return payload(graphql(AWAITED, variables, bu="acme.de", as_="acme.de.sales"), "leadConvert")


def decide(graphql: Any, settings: Any, mutation: str, request_id: str) -> dict[str, Any]:
    """As HQ's steward in HQ's cell; back to the BU's cell afterwards."""
    settings.REGION = "cn"
    reply = graphql(mutation, {"id": request_id}, bu="acme.hq", as_="acme.steward")
    settings.REGION = "eu"
    (data,) = reply.data.values()
    assert not reply.errors, reply.errors
    assert data["errors"] == [], data
    return dict(data)


def test_a_lead_of_a_new_company_converts_once_hq_created_the_customer(de, graphql, settings):
    from crm.masterdata.customers.models import Customer
    from crm.masterdata.governance.models import ChangeRequest
    from crm.tenants.contacts.models import Contact
    from crm.tenants.leads.models import Lead
    from crm.tenants.localcustomers.models import LocalCustomer
    from crm.tenants.opportunities.models import Opportunity

    lead = qualified()
    filed = request_customer(graphql, lead)
    assert filed["errors"] == []
    assert (filed["contact"], filed["opportunity"]) == (None, None)
    assert filed["lead"] == {"status": "QUALIFIED", "contact": None}
    request = filed["changeRequest"]
    assert (request["kind"], request["status"]) == ("CREATE", "PENDING")
    assert {"field": "tax_id", "value": "DE136695976"} in request["proposed"]
    filed_request = ChangeRequest.objects.get()
    assert filed_request.business_unit.code == "de"
    with schema_context(DE):
        assert Lead.objects.get(pk=lead.pk).change_request_id == filed_request.pk
    assert counts() == (0, 0, 0)
    assert not Customer.objects.exists()

    # While HQ has not decided: no conversion, neither with the request nor another customer.
    assert codes(awaited(graphql, lead)) == [("id", "AWAITING_APPROVAL")]
    assert codes(awaited(graphql, lead, golden(de, "Elsewhere AG", "CONV-E"))) == [
        ("id", "AWAITING_APPROVAL")
    ]
    assert codes(request_customer(graphql, lead)) == [("id", "AWAITING_APPROVAL")]
    assert ChangeRequest.objects.count() == 1
    assert counts() == (0, 0, 0)

    approved = decide(graphql, settings, APPROVE, request["id"])
    customer = Customer.objects.get(tax_id="DE136695976")
    assert approved["changeRequest"]["customer"]["id"] == to_global_id("Customer", customer.pk)

    done = awaited(graphql, lead)
    assert done["errors"] == []
    assert done["lead"]["status"] == "CONVERTED"
    with schema_context(DE):
        row = Lead.objects.get(pk=lead.pk)
        account = LocalCustomer.objects.get(pk=row.account_id)
        contact = Contact.objects.get(pk=row.contact_id)
        deal = Opportunity.objects.get(pk=row.opportunity_id)
    assert (account.customer_id, account.local_code) == (customer.pk, customer.code)
    assert (contact.account_id, contact.lead_id) == (account.pk, lead.pk)
    assert (deal.account_id, deal.name) == (account.pk, "Kraftwerk Optics GmbH")
    assert counts() == (1, 1, 1)


def test_after_a_rejection_the_lead_takes_another_customer_or_a_new_request(de, graphql, settings):
    from crm.masterdata.governance.models import ChangeRequest
    from crm.tenants.leads.models import Lead

    lead = qualified()
    request_id = request_customer(graphql, lead)["changeRequest"]["id"]
    decide(graphql, settings, REJECT, request_id)
    assert codes(awaited(graphql, lead)) == [("customer", "INVALID_ARGUMENT")]
    assert counts() == (0, 0, 0)
    # A new request replaces the rejected one on the lead.
    again = request_customer(graphql, lead)
    assert again["errors"] == []
    newer = ChangeRequest.objects.get(status="PENDING")
    with schema_context(DE):
        assert Lead.objects.get(pk=lead.pk).change_request_id == newer.pk
    decide(graphql, settings, REJECT, again["changeRequest"]["id"])
    # Or the customer HQ already knows.
    known = golden(de)
    done = awaited(graphql, lead, known)
    assert done["errors"] == []
    assert done["lead"]["status"] == "CONVERTED"
    assert counts() == (1, 1, 1)


def test_a_bad_request_changes_nothing(de, graphql):
    from crm.masterdata.governance.models import ChangeRequest
    from crm.tenants.leads.models import Lead

    lead = qualified()
    invalid = request_customer(graphql, lead, new={**NEW_COMPANY, "taxId": "DE136695977"})
    assert codes(invalid) == [("taxId", "INVALID_TAX_ID")]
    assert codes(request_customer(graphql, lead, why="")) == [("why", "INVALID_ARGUMENT")]
    both = payload(
        graphql(
            """mutation($id: ID!, $customer: ID!, $new: NewCustomerInput!) {
              leadConvert(id: $id, customer: $customer, newCustomer: $new, why: "x") {
                errors { field code } } }""",
            {
                "id": to_global_id("Lead", lead.pk),
                "customer": to_global_id("Customer", golden(de).pk),
                "new": NEW_COMPANY,
            },
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadConvert",
    )
    assert codes(both) == [("newCustomer", "INVALID_ARGUMENT")]
    # The company exists already under another name? Say so, or confirm it is another one.
    golden(de, "Kraftwerk Optics G.m.b.H.", "CONV-K")
    suspected = request_customer(graphql, lead)
    assert codes(suspected) == [("legalName", "DUPLICATE_SUSPECTED")]
    assert suspected["duplicates"] == [{"customer": {"code": "CONV-K"}}]
    assert not ChangeRequest.objects.exists()
    with schema_context(DE):
        assert Lead.objects.get(pk=lead.pk).change_request_id is None
    # Without a request, converting needs a customer.
    assert codes(awaited(graphql, lead)) == [("customer", "INVALID_ARGUMENT")]
    confirmed = request_customer(graphql, lead, confirm=True)
    assert confirmed["errors"] == []
    assert counts() == (0, 0, 0)


def test_only_a_qualified_lead_the_caller_may_convert_files_a_request(de, graphql):
    from crm.masterdata.governance.models import ChangeRequest

    with schema_context(DE):
        fresh = make_lead(owner="acme.de.sales", status="NEW", last_name="Neu")
    assert codes(request_customer(graphql, fresh)) == [("id", "INVALID_STAGE_CHANGE")]
    lead = qualified()
    hidden = payload(
        graphql(
            REQUEST,
            {"id": to_global_id("Lead", lead.pk), "new": NEW_COMPANY, "why": "new"},
            bu="acme.de",
            as_="acme.de.legal",
        ),
        "leadConvert",
    )
    assert codes(hidden) == [("id", "NOT_FOUND")]
    assert not ChangeRequest.objects.exists()
