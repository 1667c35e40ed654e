"""BUs propose changes to golden customers; stewards approve (atomically), amend or reject."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from graphql_relay import to_global_id

from crm.masterdata.customers.identity import normalized_name
from crm.masterdata.customers.models import Customer
from crm.masterdata.governance.models import ChangeRequest

FILE = """
mutation($customer: ID!, $changes: [FieldValueInput!]!, $why: String!) {
  changeRequestFile(customer: $customer, changes: $changes, why: $why) {
    errors { field code } changeRequest { id status proposed { field value }
      base { field value } filedBy businessUnit } } }
"""
APPROVE = """
mutation($id: ID!, $amendments: [FieldValueInput!], $accept: Boolean) {
  changeRequestApprove(id: $id, amendments: $amendments, acceptConflicts: $accept,
                       note: "ok") {
    errors { field code } conflicts { field filed current }
    changeRequest { status decision } } }
"""
REJECT = """
mutation($id: ID!, $note: String!) {
  changeRequestReject(id: $id, note: $note) { errors { field code } changeRequest { status } } }
"""
LIST = "{ changeRequests(first: 20) { totalCount edges { node { id filedBy status } } } }"
DIRECT = """
mutation($id: ID!) { customerUpdate(id: $id, grade: A) { errors { code } } }
"""


@pytest.fixture
def customer(world: Any) -> Customer:
    return Customer.objects.create(
        group_id=world.acme_id,
        code="C-GOV",
        legal_name="Muster Maschinenbau GmbH",
        normalized_name=normalized_name("Muster Maschinenbau GmbH"),
        country="DE",
        grade="C",
        credit_limit=Decimal("1000"),
    )


def payload(reply: Any) -> dict[str, Any]:
    assert reply.errors == [], reply.errors
    (data,) = reply.data.values()
    return dict(data)


def codes(data: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in data["errors"]]


def file(
    graphql: Any,
    settings: Any,
    customer: Customer,
    changes: dict[str, str],
    who: str = "acme.de.sales",
) -> dict[str, Any]:
    settings.REGION = "eu"
    reply = graphql(
        FILE,
        {
            "customer": to_global_id("Customer", customer.pk),
            "changes": [{"field": f, "value": v} for f, v in changes.items()],
            "why": "the customer was regraded at the annual review",
        },
        bu="acme.de",
        as_=who,
    )
    settings.REGION = "cn"
    return payload(reply)


def test_a_bu_files_and_a_steward_approves_atomically(world, graphql, settings, customer):
    filed = file(graphql, settings, customer, {"grade": "B", "credit_limit": "2500"})
    assert filed["errors"] == []
    request = filed["changeRequest"]
    assert request["status"] == "PENDING"
    assert request["base"] == [
        {"field": "credit_limit", "value": "1000.0000"},
        {"field": "grade", "value": "C"},
    ]
    assert (request["filedBy"], request["businessUnit"]) == ("acme.de.sales", "de")
    approved = payload(graphql(APPROVE, {"id": request["id"]}, as_="acme.steward"))
    assert approved["errors"] == []
    assert approved["changeRequest"] == {"status": "APPROVED", "decision": "ok"}
    customer.refresh_from_db()
    assert (customer.grade, customer.credit_limit) == ("B", Decimal("2500"))
    history = graphql(
        """query($id: ID!) { history(objectType: CUSTOMER, id: $id) { operation actor } }""",
        {"id": to_global_id("Customer", customer.pk)},
    ).data["history"]
    assert history[0] == {"operation": "ChangeRequestApprove", "actor": "acme.steward"}


def test_a_change_made_meanwhile_is_a_conflict_until_confirmed(world, graphql, settings, customer):
    request_id = file(graphql, settings, customer, {"grade": "B"})["changeRequest"]["id"]
    payload(graphql(DIRECT, {"id": to_global_id("Customer", customer.pk)}, as_="acme.steward"))
    refused = payload(graphql(APPROVE, {"id": request_id}, as_="acme.steward"))
    assert codes(refused) == [("CHANGE_CONFLICT", "id")]
    assert refused["conflicts"] == [{"field": "grade", "filed": "C", "current": "A"}]
    customer.refresh_from_db()
    assert customer.grade == "A"
    assert ChangeRequest.objects.get().status == "PENDING"
    confirmed = payload(graphql(APPROVE, {"id": request_id, "accept": True}, as_="acme.steward"))
    assert confirmed["errors"] == []
    customer.refresh_from_db()
    assert customer.grade == "B"


def test_a_steward_amends_before_approving(world, graphql, settings, customer):
    request_id = file(graphql, settings, customer, {"grade": "B"})["changeRequest"]["id"]
    amended = payload(
        graphql(
            APPROVE,
            {"id": request_id, "amendments": [{"field": "grade", "value": "A"}]},
            as_="acme.steward",
        )
    )
    assert amended["errors"] == []
    customer.refresh_from_db()
    assert customer.grade == "A"
    assert ChangeRequest.objects.get().applied == {"grade": "A"}


def test_rejected_requests_stay_decided(world, graphql, settings, customer):
    request_id = file(graphql, settings, customer, {"grade": "A"})["changeRequest"]["id"]
    assert codes(payload(graphql(REJECT, {"id": request_id, "note": " "}, as_="acme.steward"))) == [
        ("INVALID_ARGUMENT", "note")
    ]
    rejected = payload(
        graphql(REJECT, {"id": request_id, "note": "no evidence"}, as_="acme.steward")
    )
    assert rejected["changeRequest"] == {"status": "REJECTED"}
    again = payload(graphql(APPROVE, {"id": request_id}, as_="acme.steward"))
    assert codes(again) == [("ALREADY_DECIDED", "id")]
    customer.refresh_from_db()
    assert customer.grade == "C"


def test_who_sees_and_who_decides(world, graphql, settings, customer):
    request_id = file(graphql, settings, customer, {"grade": "B"})["changeRequest"]["id"]
    settings.REGION = "eu"

    def seen(user: str) -> int:
        reply = graphql(LIST, bu="acme.de", as_=user)
        assert reply.errors == [], reply.errors
        return int(reply.data["changeRequests"]["totalCount"])

    assert seen("acme.de.sales") == 1  # their own
    assert seen("acme.de.legal") == 0  # not theirs
    assert seen("acme.de.manager") == 1  # the BU's
    denied = payload(graphql(APPROVE, {"id": request_id}, bu="acme.de", as_="acme.de.sales"))
    assert codes(denied) == [("PERMISSION_DENIED", None)]
    hidden = payload(graphql(APPROVE, {"id": request_id}, bu="acme.de", as_="acme.de.legal"))
    assert codes(hidden) == [("NOT_FOUND", "id")]
    settings.REGION = "cn"
    assert graphql(LIST, as_="acme.steward").data["changeRequests"]["totalCount"] == 1
    assert ChangeRequest.objects.get().status == "PENDING"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"code": "X"}, ("INVALID_ARGUMENT", "changes")),  # not proposable
        ({}, ("INVALID_ARGUMENT", "changes")),
    ],
)
def test_bad_proposals_are_refused_and_file_nothing(
    world, graphql, settings, customer, changes, expected
):
    refused = file(graphql, settings, customer, changes)
    assert codes(refused) == [expected]
    assert not ChangeRequest.objects.exists()


def test_an_invalid_value_is_caught_at_approval_and_leaves_the_request_pending(
    world, graphql, settings, customer
):
    request_id = file(graphql, settings, customer, {"tax_id": "DE000000001"})["changeRequest"]["id"]
    refused = payload(graphql(APPROVE, {"id": request_id}, as_="acme.steward"))
    assert codes(refused) == [("INVALID_TAX_ID", "taxId")]
    assert ChangeRequest.objects.get().status == "PENDING"
    customer.refresh_from_db()
    assert customer.tax_id == ""
