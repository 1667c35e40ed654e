"""A BU's own record of a golden customer lives in the BU's schema and nowhere else."""

from __future__ import annotations

from typing import Any

import pytest
from graphql_relay import to_global_id

from crm.masterdata.customers.identity import normalized_name
from crm.masterdata.customers.models import Customer

SET = """
mutation($customer: ID!, $code: String!) {
  localCustomerSet(customer: $customer, localCode: $code, localName: "Muster (Köln)",
                   paymentTerms: "30 Tage netto") {
    errors { field code } local { localCode localName paymentTerms } } }
"""
LIST = """{ customers(first: 10) { edges { node { code local { localCode paymentTerms } } } } }"""


@pytest.fixture
def golden(world: Any) -> Customer:
    return Customer.objects.create(
        group_id=world.acme_id,
        code="C-LOC",
        legal_name="Muster GmbH",
        normalized_name=normalized_name("Muster GmbH"),
        country="DE",
    )


def errors(reply: Any) -> list[tuple[str, str]]:
    assert reply.errors == [], reply.errors
    return [(e["code"], e["field"]) for e in reply.data["localCustomerSet"]["errors"]]


def locals_seen(graphql: Any, **kw: Any) -> dict[str, Any]:
    reply = graphql(LIST, **kw)
    assert reply.errors == [], reply.errors
    return {e["node"]["code"]: e["node"]["local"] for e in reply.data["customers"]["edges"]}


def test_a_bu_keeps_its_own_code_and_terms_and_other_bus_never_see_them(
    world, graphql, settings, golden
):
    settings.REGION = "eu"
    gid = to_global_id("Customer", golden.pk)
    assert (
        errors(graphql(SET, {"customer": gid, "code": "K-100"}, bu="acme.de", as_="acme.de.sales"))
        == []
    )
    seen = locals_seen(graphql, bu="acme.de", as_="acme.de.sales")
    assert seen["C-LOC"] == {"localCode": "K-100", "paymentTerms": "30 Tage netto"}
    settings.REGION = "cn"
    assert locals_seen(graphql, bu="acme.hq")["C-LOC"] is None  # HQ's schema has none


def test_local_codes_are_unique_in_a_bu_and_free_across_bus(world, graphql, settings, golden):
    other = Customer.objects.create(
        group_id=world.acme_id,
        code="C-LOC2",
        legal_name="Anders KG",
        normalized_name=normalized_name("Anders KG"),
        country="DE",
    )
    settings.REGION = "eu"
    first = {"customer": to_global_id("Customer", golden.pk), "code": "K-1"}
    clash = {"customer": to_global_id("Customer", other.pk), "code": "K-1"}
    assert errors(graphql(SET, first, bu="acme.de", as_="acme.de.sales")) == []
    assert errors(graphql(SET, clash, bu="acme.de", as_="acme.de.sales")) == [
        ("ALREADY_EXISTS", "localCode")
    ]
    settings.REGION = "cn"
    assert errors(graphql(SET, clash, bu="acme.hq", as_="acme.director")) == []  # HQ BU manager


def test_refusals(world, graphql, settings, golden):
    rival = Customer.objects.create(
        group_id=world.rival_id,
        code="R-LOC",
        legal_name="Rival Kunde",
        normalized_name=normalized_name("Rival Kunde"),
        country="DE",
    )
    settings.REGION = "eu"
    gid = to_global_id("Customer", golden.pk)
    assert errors(
        graphql(SET, {"customer": gid, "code": "K-2"}, bu="acme.de", as_="acme.de.legal")
    ) == [("PERMISSION_DENIED", None)]
    assert errors(
        graphql(
            SET,
            {"customer": to_global_id("Customer", rival.pk), "code": "K-3"},
            bu="acme.de",
            as_="acme.de.sales",
        )
    ) == [("NOT_FOUND", "customer")]
    assert errors(
        graphql(SET, {"customer": gid, "code": " "}, bu="acme.de", as_="acme.de.sales")
    ) == [("INVALID_ARGUMENT", "localCode")]
    assert errors(
        graphql(SET, {"customer": "bad", "code": "K-4"}, bu="acme.de", as_="acme.de.sales")
    ) == [("MALFORMED_ID", "customer")]
