"""BUs ask HQ for a new golden customer; a steward approves (creating it), amends or rejects."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id
from pghistory.models import Events

from crm.masterdata.customers.identity import normalized_name
from crm.masterdata.customers.models import Customer
from crm.masterdata.governance.models import ChangeRequest

REQUEST_NEW = """
mutation($customer: NewCustomerInput!, $why: String!, $confirm: Boolean) {
  customerRequestNew(customer: $customer, why: $why, confirmDuplicate: $confirm) {
    errors { field code }
    duplicates { customer { code } reason }
    changeRequest { id kind status proposed { field value } base { field value }
      customer { code } filedBy businessUnit } } }
"""
APPROVE = """
mutation($id: ID!, $amendments: [FieldValueInput!], $confirm: Boolean) {
  changeRequestApprove(id: $id, amendments: $amendments, confirmDuplicate: $confirm,
                       note: "welcome") {
    errors { field code }
    duplicates { customer { code } }
    changeRequest { kind status decision customer { id legalName country taxId } } } }
"""
REJECT = """
mutation($id: ID!) {
  changeRequestReject(id: $id, note: "we have them already") {
    errors { field code } changeRequest { status customer { id } } } }
"""
LIST = """query($kind: RequestKind) {
  changeRequests(first: 20, kind: $kind) { totalCount edges { node { id kind } } } }"""
WHY = "a new distributor in Bavaria"
NEW = {
    "legalName": "Alpen Optik GmbH",
    "country": "de",
    "taxId": "DE 136 695 976",
    "industry": "optics",
    "size": "MEDIUM",
    "tradeNames": [{"language": "de", "text": "Alpen Optik"}],
}


def payload(reply: Any) -> dict[str, Any]:
    assert reply.errors == [], reply.errors
    (data,) = reply.data.values()
    return dict(data)


def codes(data: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in data["errors"]]


def request_new(
    graphql: Any,
    settings: Any,
    customer: dict[str, Any] | None = None,
    *,
    who: str = "acme.de.sales",
    bu: str = "acme.de",
    region: str = "eu",
    confirm: bool = False,
    why: str = WHY,
) -> dict[str, Any]:
    settings.REGION = region
    reply = graphql(
        REQUEST_NEW,
        {"customer": customer or NEW, "why": why, "confirm": confirm},
        bu=bu,
        as_=who,
    )
    settings.REGION = "cn"
    return payload(reply)


def existing(world: Any, name: str = "Alpen Optik AG", tax_id: str = "") -> Customer:
    return Customer.objects.create(
        group_id=world.acme_id,
        code="C-ALPEN",
        legal_name=name,
        normalized_name=normalized_name(name),
        country="DE",
        tax_id=tax_id,
    )


def test_a_bu_requests_a_new_customer_with_a_checked_proposal(world, graphql, settings):
    filed = request_new(graphql, settings)
    assert filed["errors"] == []
    request = filed["changeRequest"]
    assert (request["kind"], request["status"], request["customer"]) == ("CREATE", "PENDING", None)
    assert request["proposed"] == [
        {"field": "country", "value": "DE"},
        {"field": "industry", "value": "optics"},
        {"field": "legal_name", "value": "Alpen Optik GmbH"},
        {"field": "size", "value": "MEDIUM"},
        {"field": "tax_id", "value": "DE136695976"},
        {"field": "trade_name.de", "value": "Alpen Optik"},
    ]
    assert request["base"] == []
    assert (request["filedBy"], request["businessUnit"]) == ("acme.de.sales", "de")
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"taxId": "DE136695977"}, ("INVALID_TAX_ID", "taxId")),
        ({"country": "XX"}, ("INVALID_ARGUMENT", "country")),
        ({"legalName": "  "}, ("INVALID_ARGUMENT", "legalName")),
        ({"tradeNames": [{"language": "xx", "text": "?"}]}, ("UNKNOWN_LANGUAGE", "tradeNames")),
    ],
)
def test_an_invalid_proposal_files_nothing(world, graphql, settings, change, expected):
    refused = request_new(graphql, settings, {**NEW, **change})
    assert codes(refused) == [expected]
    assert refused["changeRequest"] is None
    assert not ChangeRequest.objects.exists()


def test_a_request_needs_a_reason(world, graphql, settings):
    refused = request_new(graphql, settings, why=" ")
    assert codes(refused) == [("INVALID_ARGUMENT", "why")]
    assert not ChangeRequest.objects.exists()


def test_a_suspected_duplicate_is_refused_until_confirmed(world, graphql, settings):
    existing(world, tax_id="DE136695976")
    refused = request_new(graphql, settings)
    assert codes(refused) == [("DUPLICATE_SUSPECTED", "legalName")]
    assert refused["duplicates"] == [{"customer": {"code": "C-ALPEN"}, "reason": "TAX_ID"}]
    assert not ChangeRequest.objects.exists()
    confirmed = request_new(graphql, settings, confirm=True)
    assert confirmed["errors"] == []
    assert ChangeRequest.objects.get().kind == "CREATE"


def test_who_may_file(world, graphql, settings):
    # Auditors read requests but file none; a user without a role in the BU is turned away.
    denied = request_new(graphql, settings, who="acme.auditor", bu="acme.hq", region="cn")
    assert codes(denied) == [("PERMISSION_DENIED", None)]
    settings.REGION = "eu"
    outsider = graphql(REQUEST_NEW, {"customer": NEW, "why": WHY}, bu="acme.de", as_="acme.nobody")
    assert [e["extensions"]["code"] for e in outsider.errors] == ["NOT_A_MEMBER"]
    assert not ChangeRequest.objects.exists()


def test_approval_creates_the_customer_with_history_naming_the_request(world, graphql, settings):
    request_id = request_new(graphql, settings)["changeRequest"]["id"]
    approved = payload(graphql(APPROVE, {"id": request_id}, as_="acme.steward"))
    assert approved["errors"] == []
    decided = approved["changeRequest"]
    assert (decided["kind"], decided["status"], decided["decision"]) == (
        "CREATE",
        "APPROVED",
        "welcome",
    )
    customer = Customer.objects.get()
    assert decided["customer"] == {
        "id": to_global_id("Customer", customer.pk),
        "legalName": "Alpen Optik GmbH",
        "country": "DE",
        "taxId": "DE136695976",
    }
    assert (customer.group_id, customer.industry, customer.size) == (
        world.acme_id,
        "optics",
        "MEDIUM",
    )
    assert customer.trade_name_de == "Alpen Optik"
    assert customer.code.startswith("C")
    request = ChangeRequest.objects.get()
    assert (request.customer_id, request.applied["legal_name"]) == (
        customer.pk,
        "Alpen Optik GmbH",
    )
    event = Events.objects.filter(
        pgh_obj_model="customers.Customer", pgh_obj_id=customer.pk, pgh_label="insert"
    ).get()
    context = event.pgh_context or {}
    assert context["change_request"] == request.pk
    assert (context["operation"], context["actor"]) == ("ChangeRequestApprove", "acme.steward")
    again = payload(graphql(APPROVE, {"id": request_id}, as_="acme.steward"))
    assert codes(again) == [("ALREADY_DECIDED", "id")]
    assert Customer.objects.count() == 1


def test_a_steward_amends_the_proposal(world, graphql, settings):
    request_id = request_new(graphql, settings)["changeRequest"]["id"]
    amended = payload(
        graphql(
            APPROVE,
            {
                "id": request_id,
                "amendments": [
                    {"field": "legal_name", "value": "Alpen-Optik GmbH & Co. KG"},
                    {"field": "grade", "value": "B"},
                ],
            },
            as_="acme.steward",
        )
    )
    assert amended["errors"] == []
    customer = Customer.objects.get()
    assert (customer.legal_name, customer.grade, customer.tax_id) == (
        "Alpen-Optik GmbH & Co. KG",
        "B",
        "DE136695976",
    )
    assert ChangeRequest.objects.get().applied["grade"] == "B"


@pytest.mark.parametrize(
    ("amendment", "expected"),
    [
        ({"field": "tax_id", "value": "DE136695977"}, ("INVALID_TAX_ID", "taxId")),
        ({"field": "code", "value": "X"}, ("INVALID_ARGUMENT", "amendments")),
        ({"field": "grade", "value": "Z"}, ("INVALID_ARGUMENT", "grade")),
    ],
)
def test_a_bad_amendment_leaves_the_request_pending(world, graphql, settings, amendment, expected):
    request_id = request_new(graphql, settings)["changeRequest"]["id"]
    refused = payload(
        graphql(APPROVE, {"id": request_id, "amendments": [amendment]}, as_="acme.steward")
    )
    assert codes(refused) == [expected]
    assert ChangeRequest.objects.get().status == "PENDING"
    assert not Customer.objects.exists()


def test_a_duplicate_appearing_before_approval_needs_confirmation(world, graphql, settings):
    request_id = request_new(graphql, settings)["changeRequest"]["id"]
    existing(world, name="Alpen Optik GmbH")
    refused = payload(graphql(APPROVE, {"id": request_id}, as_="acme.steward"))
    assert codes(refused) == [("DUPLICATE_SUSPECTED", "legalName")]
    assert refused["duplicates"] == [{"customer": {"code": "C-ALPEN"}}]
    request = ChangeRequest.objects.get()
    assert (request.status, request.customer_id) == ("PENDING", None)
    assert Customer.objects.count() == 1
    confirmed = payload(graphql(APPROVE, {"id": request_id, "confirm": True}, as_="acme.steward"))
    assert confirmed["errors"] == []
    assert Customer.objects.count() == 2


def test_rejection_creates_nothing(world, graphql, settings):
    request_id = request_new(graphql, settings)["changeRequest"]["id"]
    rejected = payload(graphql(REJECT, {"id": request_id}, as_="acme.steward"))
    assert rejected["changeRequest"] == {"status": "REJECTED", "customer": None}
    assert not Customer.objects.exists()


def test_only_stewards_decide(world, graphql, settings):
    request_id = request_new(graphql, settings)["changeRequest"]["id"]
    settings.REGION = "eu"
    denied = payload(graphql(APPROVE, {"id": request_id}, bu="acme.de", as_="acme.de.manager"))
    assert codes(denied) == [("PERMISSION_DENIED", None)]
    settings.REGION = "cn"
    assert not Customer.objects.exists()
    assert ChangeRequest.objects.get().status == "PENDING"


def test_isolation_and_the_kind_filter(world, graphql, settings):
    request_new(graphql, settings)
    existing(world)
    update = ChangeRequest.objects.create(
        group_id=world.acme_id,
        business_unit_id=ChangeRequest.objects.get().business_unit_id,
        customer=Customer.objects.get(),
        proposed={"grade": "A"},
        base={"grade": "C"},
        reason="regraded",
    )

    def seen(user: str, bu: str, region: str, kind: str | None = None) -> list[str]:
        settings.REGION = region
        reply = graphql(LIST, {"kind": kind}, bu=bu, as_=user)
        settings.REGION = "cn"
        assert reply.errors == [], reply.errors
        return sorted(edge["node"]["kind"] for edge in reply.data["changeRequests"]["edges"])

    assert seen("acme.steward", "acme.hq", "cn") == ["CREATE", "UPDATE"]
    assert seen("acme.steward", "acme.hq", "cn", "CREATE") == ["CREATE"]
    assert seen("acme.steward", "acme.hq", "cn", "UPDATE") == ["UPDATE"]
    assert seen("acme.de.manager", "acme.de", "eu", "CREATE") == ["CREATE"]
    assert seen("acme.de.sales", "acme.de", "eu") == ["CREATE"]  # their own; not update's filer
    assert seen("acme.jp.sales", "acme.jp", "ap") == []  # another BU's requests
    assert seen("rival.admin", "rival.main", "cn") == []  # another group
    # Nor can another BU or group decide them.
    request_id = to_global_id("ChangeRequest", update.pk)
    assert codes(payload(graphql(APPROVE, {"id": request_id}, bu="rival.main", as_="rival.admin")))[
        0
    ][0] in ("NOT_FOUND", "PERMISSION_DENIED")


def test_the_filer_is_notified_in_their_business_unit_when_it_is_in_this_cell(world, settings):
    from crm.masterdata.governance.services import approve, file_new_customer_request
    from crm.tenants.automation.models import Notification
    from crm.tests.leads.helpers import access_of, user_id

    settings.REGION = "eu"
    with schema_context("bu_acme_de"):
        request = file_new_customer_request(
            access_of("acme.de.sales"),
            proposed={"legal_name": "Alpen Optik GmbH", "country": "DE"},
            reason=WHY,
        )
    approve(access=access_of("acme.steward", "hq"), request_id=request.pk, note="ok")
    with schema_context("bu_acme_de"):
        (notice,) = Notification.objects.all()
    assert notice.recipient_id == user_id("acme.de.sales")
    assert "Alpen Optik GmbH" in notice.subject
    # Decided in a cell without the filer's BU: nothing is written there.
    settings.REGION = "cn"
    with schema_context("bu_acme_de"):
        other = file_new_customer_request(
            access_of("acme.de.sales"),
            proposed={"legal_name": "Zugspitz Glas AG", "country": "DE"},
            reason=WHY,
        )
    approve(access=access_of("acme.steward", "hq"), request_id=other.pk)
    with schema_context("bu_acme_de"):
        assert Notification.objects.count() == 1
