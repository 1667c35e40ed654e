"""BU accounts through the API: creation for a visible golden customer, updates, assignment,
the list with its filters and orderings, the service the lead conversion uses, isolation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.platform.core.errors import CrmError
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.localcustomers.services import account_for_customer
from crm.tests.relationships.helpers import access_as, bu_account, gid, golden, user_id

CREATE = """
mutation($customer: ID!, $code: String, $owner: ID, $class: AccountClassification) {
  accountCreate(customer: $customer, localCode: $code, owner: $owner, classification: $class,
                localName: "Muster Köln", notes: "Key account in NRW") {
    errors { field code }
    account { id localCode localName classification notes salesOwner { username }
              customer { code } permissions { actions } } } }
"""
UPDATE = """
mutation($id: ID!, $code: String, $class: AccountClassification, $notes: String) {
  accountUpdate(id: $id, localCode: $code, classification: $class, notes: $notes) {
    errors { field code } account { localCode classification notes } } }
"""
ASSIGN = """
mutation($id: ID!, $owner: ID!) { accountAssign(id: $id, owner: $owner) {
  errors { field code } account { salesOwner { username } } } }
"""
ONE = "query($id: ID!) { account(id: $id) { localCode customer { code } } }"
LIST = """
query($filter: AccountFilter, $order: AccountOrder) {
  accounts(first: 20, filter: $filter, orderBy: $order) {
    totalCount edges { node { localCode } } } }
"""


@pytest.fixture
def customer(world: Any) -> Any:
    return golden(world.acme_id, "C-ACC", "Muster GmbH")


def create(graphql: Any, customer: Any, as_: str = "acme.de.sales", **variables: Any) -> Any:
    reply = graphql(
        CREATE, {"customer": gid("Customer", customer), **variables}, bu="acme.de", as_=as_
    )
    assert reply.errors == [], reply.errors
    return reply.data["accountCreate"]


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def test_an_account_is_created_once_per_customer_with_a_generated_code(
    world, graphql, settings, customer
):
    settings.REGION = "eu"
    payload = create(graphql, customer, **{"class": "A"})
    assert payload["errors"] == []
    account = payload["account"]
    assert account["localCode"] == "C-ACC"  # the golden code when none is given
    assert account["classification"] == "A"
    assert account["salesOwner"] == {"username": "acme.de.sales"}
    assert account["customer"] == {"code": "C-ACC"}
    assert account["permissions"]["actions"] == ["VIEW", "CREATE", "EDIT"]  # no ASSIGN
    assert codes(create(graphql, customer)) == [("ALREADY_EXISTS", "customer")]


def test_bad_accounts_are_refused(world, graphql, settings, customer):
    settings.REGION = "eu"
    rival = golden(world.rival_id, "R-ACC", "Rival Kunde")
    taken = bu_account("acme.de", golden(world.acme_id, "C-TAKEN", "Vergeben AG"), code="K-1")
    assert taken.pk
    cases = [
        ({"customer": gid("Customer", rival)}, ("NOT_FOUND", "customer")),
        ({"customer": "bad"}, ("MALFORMED_ID", "customer")),
        ({"code": "x" * 41}, ("INVALID_ARGUMENT", "localCode")),
        ({"code": "K-1"}, ("ALREADY_EXISTS", "localCode")),
        ({"owner": gid("User", user_id("acme.de.manager"))}, ("PERMISSION_DENIED", None)),
    ]
    for variables, expected in cases:
        reply = graphql(
            CREATE,
            {"customer": gid("Customer", customer), **variables},
            bu="acme.de",
            as_="acme.de.sales",
        )
        assert codes(reply.data["accountCreate"]) == [expected], variables
    manager = create(
        graphql, customer, as_="acme.de.manager", owner=gid("User", user_id("acme.jp.sales"))
    )
    assert codes(manager) == [("INVALID_ASSIGNEE", "owner")]
    with schema_context("bu_acme_de"):
        assert not LocalCustomer.objects.filter(customer_id=customer.pk).exists()
    legal = create(graphql, customer, as_="acme.de.legal")
    assert codes(legal) == [("PERMISSION_DENIED", None)]


def test_updating_and_assigning(world, graphql, settings, customer):
    settings.REGION = "eu"
    account = bu_account("acme.de", customer, owner="acme.de.sales")
    as_sales = {"bu": "acme.de", "as_": "acme.de.sales"}
    ok = graphql(UPDATE, {"id": gid("Account", account), "class": "B", "notes": "n"}, **as_sales)
    assert ok.data["accountUpdate"] == {
        "errors": [],
        "account": {"localCode": "L-C-ACC", "classification": "B", "notes": "n"},
    }
    blank = graphql(UPDATE, {"id": gid("Account", account), "code": " "}, **as_sales)
    assert codes(blank.data["accountUpdate"]) == [("INVALID_ARGUMENT", "localCode")]
    manager = gid("User", user_id("acme.de.manager"))
    refused = graphql(ASSIGN, {"id": gid("Account", account), "owner": manager}, **as_sales)
    assert codes(refused.data["accountAssign"]) == [("PERMISSION_DENIED", None)]
    outsider = graphql(
        ASSIGN,
        {"id": gid("Account", account), "owner": gid("User", user_id("acme.jp.sales"))},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert codes(outsider.data["accountAssign"]) == [("INVALID_ASSIGNEE", "owner")]
    given = graphql(
        ASSIGN,
        {"id": gid("Account", account), "owner": manager},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert given.data["accountAssign"] == {
        "errors": [],
        "account": {"salesOwner": {"username": "acme.de.manager"}},
    }
    bad = graphql(ASSIGN, {"id": "nope", "owner": manager}, bu="acme.de", as_="acme.de.manager")
    assert codes(bad.data["accountAssign"]) == [("MALFORMED_ID", "id")]


def test_the_account_list_filters_and_orders(world, graphql, settings):
    settings.REGION = "eu"
    now = timezone.now()
    bu_account(
        "acme.de",
        golden(world.acme_id, "C-L1", "Alpha"),
        code="A-1",
        owner="acme.de.sales",
        local_name="Zeta",
        classification="A",
        last_follow_up_at=now,
    )
    bu_account(
        "acme.de",
        golden(world.acme_id, "C-L2", "Beta"),
        code="B-2",
        owner="acme.de.manager",
        local_name="Alpha",
        classification="B",
        last_follow_up_at=now - datetime.timedelta(days=40),
    )
    bu_account("acme.de", golden(world.acme_id, "C-L3", "Gamma"), code="C-3", local_name="Mid")

    def codes_of(filter: dict[str, Any] | None = None, order: str | None = None) -> list[str]:
        variables: dict[str, Any] = {"filter": filter}
        if order:
            variables["order"] = order
        reply = graphql(LIST, variables, bu="acme.de", as_="acme.de.sales")
        assert reply.errors == [], reply.errors
        return [e["node"]["localCode"] for e in reply.data["accounts"]["edges"]]

    assert codes_of() == ["A-1", "B-2", "C-3"]
    assert codes_of(order="LOCAL_NAME") == ["B-2", "C-3", "A-1"]
    assert codes_of(order="LAST_FOLLOW_UP") == ["B-2", "A-1", "C-3"]
    assert codes_of({"search": "zet"}) == ["A-1"]
    assert codes_of({"ownerIsMe": True}) == ["A-1"]
    assert codes_of({"owner": gid("User", user_id("acme.de.manager"))}) == ["B-2"]
    assert codes_of({"classification": ["A", "B"]}) == ["A-1", "B-2"]
    month_ago = (now - datetime.timedelta(days=30)).isoformat()
    assert codes_of({"followUpBefore": month_ago}) == ["B-2", "C-3"]  # or never
    bad = graphql(LIST, {"filter": {"owner": "bad"}}, bu="acme.de", as_="acme.de.sales")
    assert bad.codes == ["MALFORMED_ID"]
    paged = graphql("{ accounts { totalCount } }", bu="acme.de", as_="acme.de.sales")
    assert paged.codes == ["PAGE_SIZE_REQUIRED"]


def test_account_for_customer_reuses_or_creates_the_bu_account(world, customer):
    with schema_context("bu_acme_de"):
        access = access_as("acme.de.sales", "acme.de")
        created = account_for_customer(access, customer_id=customer.pk)
        assert (created.local_code, created.sales_owner_id) == ("C-ACC", user_id("acme.de.sales"))
        again = account_for_customer(access, customer_id=customer.pk, local_code="OTHER")
        assert again.pk == created.pk
        assert again.local_code == "C-ACC"
        second = golden(world.acme_id, "C-ACC2", "Zweite GmbH")
        LocalCustomer.objects.create(
            customer_id=golden(world.acme_id, "C-X", "X").pk, local_code="C-ACC2"
        )
        generated = account_for_customer(access, customer_id=second.pk)
        assert generated.local_code == "C-ACC2-2"  # the golden code was taken in this BU
        manager = access_as("acme.de.manager", "acme.de")
        third = golden(world.acme_id, "C-ACC3", "Dritte GmbH")
        given = account_for_customer(
            manager, customer_id=third.pk, local_code="K-3", owner_id=user_id("acme.de.sales")
        )
        assert (given.local_code, given.sales_owner_id) == ("K-3", user_id("acme.de.sales"))
        with pytest.raises(CrmError) as refused:
            account_for_customer(access, customer_id=golden(world.rival_id, "R-1", "R").pk)
        assert refused.value.code.value == "NOT_FOUND"


def test_other_business_units_and_groups_see_nothing(world, graphql, settings, customer):
    account = bu_account("acme.de", customer, owner="acme.de.sales")
    settings.REGION = "ap"
    assert graphql(
        ONE, {"id": gid("Account", account)}, bu="acme.jp", as_="acme.jp.sales"
    ).codes == ["NOT_FOUND"]
    assert graphql(LIST, {}, bu="acme.jp", as_="acme.jp.sales").data["accounts"]["totalCount"] == 0
    settings.REGION = "cn"
    assert graphql(ONE, {"id": gid("Account", account)}, bu="rival.main").codes == ["NOT_FOUND"]
    assert graphql(LIST, {}, bu="rival.main").data["accounts"]["totalCount"] == 0
    assert graphql(ONE, {"id": gid("Contact", 1)}, bu="rival.main").codes == ["MALFORMED_ID"]
    settings.REGION = "eu"
    seen = graphql(ONE, {"id": gid("Account", account)}, bu="acme.de", as_="acme.de.legal")
    assert seen.data["account"] == {"localCode": "L-C-ACC", "customer": {"code": "C-ACC"}}
