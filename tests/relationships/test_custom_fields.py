"""The BU's own fields on accounts and contacts: validated on write, typed on read, filterable;
and a page of accounts with their contacts costs the same statements for 1 or 20 accounts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crm.tenants.customfields.models import FieldDefinition
from crm.tests.relationships.helpers import bu_account, bu_contact, gid, golden

CONTACT = """
mutation($fields: [CustomFieldInput!]) {
  contactCreate(lastName: "Feld", customFields: $fields) {
    errors { field code } contact { customFields { code choices } } } }
"""
ACCOUNT = """
mutation($id: ID!, $fields: [CustomFieldInput!]) {
  accountUpdate(id: $id, customFields: $fields) {
    errors { field code } account { customFields { code text } } } }
"""
CONTACTS = """
query($filter: ContactFilter) { contacts(first: 10, filter: $filter) {
  edges { node { lastName } } } }
"""
ACCOUNTS = """
{ accounts(first: 50) { edges { node { localCode customFields { code }
  contacts(first: 5) { lastName owner { username } } customer { code } } } } }
"""


@pytest.fixture
def definitions(world: Any) -> None:
    with schema_context("bu_acme_de"):
        FieldDefinition.objects.create(
            record_type="contact",
            code="tier",
            label="Tier",
            kind="CHOICE",
            options=[{"code": "gold"}, {"code": "silver"}],
        )
        FieldDefinition.objects.create(
            record_type="local_customer", code="region", label="Region", kind="TEXT", max_length=10
        )


def test_custom_values_are_validated_stored_and_filtered(world, graphql, settings, definitions):
    settings.REGION = "eu"
    as_sales = {"bu": "acme.de", "as_": "acme.de.sales"}
    gold = [{"code": "tier", "choices": ["gold"]}]
    made = graphql(CONTACT, {"fields": gold}, **as_sales).data["contactCreate"]
    assert made == {
        "errors": [],
        "contact": {"customFields": [{"code": "tier", "choices": ["gold"]}]},
    }
    bad = graphql(CONTACT, {"fields": [{"code": "tier", "choices": ["bronze"]}]}, **as_sales)
    assert [(e["code"], e["field"]) for e in bad.data["contactCreate"]["errors"]] == [
        ("INVALID_ARGUMENT", "customFields.tier")
    ]
    unknown = graphql(CONTACT, {"fields": [{"code": "nope", "text": "x"}]}, **as_sales)
    assert [e["code"] for e in unknown.data["contactCreate"]["errors"]] == ["INVALID_ARGUMENT"]
    bu_contact("acme.de", last_name="Ohne")
    found = graphql(
        CONTACTS, {"filter": {"customFields": [{"code": "tier", "equals": "gold"}]}}, **as_sales
    )
    assert [e["node"]["lastName"] for e in found.data["contacts"]["edges"]] == ["Feld"]

    account = bu_account("acme.de", golden(world.acme_id, "C-CF", "Feld AG"))
    region = [{"code": "region", "text": "NRW"}]
    updated = graphql(ACCOUNT, {"id": gid("Account", account), "fields": region}, **as_sales)
    assert updated.data["accountUpdate"]["account"]["customFields"] == [
        {"code": "region", "text": "NRW"}
    ]
    listed = graphql(
        "query($f: AccountFilter) { accounts(first: 5, filter: $f) "
        "{ edges { node { localCode } } } }",
        {"f": {"customFields": [{"code": "region", "equals": "NRW"}]}},
        **as_sales,
    )
    assert [e["node"]["localCode"] for e in listed.data["accounts"]["edges"]] == ["L-C-CF"]
    too_long = [{"code": "region", "text": "Nordrhein-Westfalen"}]
    refused = graphql(ACCOUNT, {"id": gid("Account", account), "fields": too_long}, **as_sales)
    assert [e["field"] for e in refused.data["accountUpdate"]["errors"]] == ["customFields.region"]


def test_a_page_of_accounts_with_their_contacts_costs_the_same_for_1_or_20(
    world, graphql, settings, definitions
):
    settings.REGION = "eu"
    graphql("{ __typename }", bu="acme.de", as_="acme.de.sales")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            reply = graphql(ACCOUNTS, bu="acme.de", as_="acme.de.sales")
        assert reply.errors == [], reply.errors
        return len(queries.captured_queries)

    def add(number: int) -> None:
        account = bu_account(
            "acme.de",
            golden(world.acme_id, f"C-P{number:02d}", f"Seite {number}"),
            custom={"region": "NRW"},
        )
        for person in range(3):
            bu_contact("acme.de", account, last_name=f"P{person}", owner="acme.de.sales")

    add(0)
    one = count()
    for number in range(1, 20):
        add(number)
    assert count() == one


def test_fields_the_bu_requires_are_required(world, graphql, settings, definitions):
    from crm.tenants.customfields.models import FieldRequirement

    settings.REGION = "eu"
    with schema_context("bu_acme_de"):
        FieldRequirement.objects.create(record_type="contact", field="job_title")
        FieldDefinition.objects.filter(code="region").update(required=True)
    as_sales = {"bu": "acme.de", "as_": "acme.de.sales"}
    reply = graphql(CONTACT, {"fields": []}, **as_sales)
    assert [(e["code"], e["field"]) for e in reply.data["contactCreate"]["errors"]] == [
        ("REQUIRED_FIELD_MISSING", "jobTitle")
    ]
    customer = golden(world.acme_id, "C-REQ", "Pflicht AG")
    created = graphql(
        "mutation($c: ID!) { accountCreate(customer: $c) { errors { field code } } }",
        {"c": gid("Customer", customer)},
        **as_sales,
    )
    assert [(e["code"], e["field"]) for e in created.data["accountCreate"]["errors"]] == [
        ("REQUIRED_FIELD_MISSING", "customFields.region")
    ]
