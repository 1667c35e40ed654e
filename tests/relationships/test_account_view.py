"""The account's 360° view in one query: master data, contacts, activities, deals, tasks; its
SQL cost does not grow with the account's size."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crm.tenants.opportunities.models import DealTeamMember
from crm.tests.relationships.helpers import (
    bu_account,
    bu_activity,
    bu_contact,
    bu_deals,
    bu_task,
    gid,
    golden,
    user_id,
)

VIEW = """
query($id: ID!) { account(id: $id) {
  id localCode localName classification lastFollowUpAt notes
  salesOwner { username }
  customer { code legalName country taxId industry grade creditLimit { amount currency } }
  contacts(first: 50) { id lastName email buyingRole owner { username } customFields { code } }
  activities(first: 50) { id kind subject body owner { username } contact { id } }
  openOpportunities(first: 50) { id name stage { code name } status
                                 amount { amount currency } expectedClose owner { username }
                                 team { user { username } role addedAt } }
  closedOpportunities(first: 50) { id name status closedOn }
  tasks(first: 50) { id title dueAt owner { username } }
  customFields { code }
  permissions { actions }
} }
"""


def build(world: Any, code: str, size: int) -> Any:
    customer = golden(world.acme_id, code, f"Kunde {code} GmbH", tax_id="", industry="Retail")
    account = bu_account("acme.de", customer, owner="acme.de.sales", local_name=f"Kunde {code}")
    for number in range(size):
        person = bu_contact(
            "acme.de",
            account,
            last_name=f"Person {number:02d}",
            owner="acme.de.sales",
            email=f"p{number}@kunde.de",
        )
        bu_activity("acme.de", account=account, contact=person, owner="acme.de.manager")
        bu_task("acme.de", owner="acme.de.sales", account=account, title=f"Task {number}")
    deals = bu_deals("acme.de", account, owner="acme.de.sales", open_count=size, closed_count=size)
    with schema_context("bu_acme_de"):
        for deal in deals:
            DealTeamMember.objects.create(
                opportunity=deal, user_id=user_id("acme.de.manager"), role="SOLUTION_EXPERT"
            )
    return account


def view(graphql: Any, account: Any, as_: str = "acme.de.manager") -> tuple[Any, int]:
    variables = {"id": gid("Account", account)}
    with CaptureQueriesContext(connection) as queries:
        reply = graphql(VIEW, variables, bu="acme.de", as_=as_)
    return reply, len(queries.captured_queries)


@pytest.mark.parametrize("as_", ["acme.de.manager", "acme.de.sales"])
def test_the_360_view_costs_the_same_few_statements_for_1_or_40_of_everything(
    world, graphql, settings, as_
):
    settings.REGION = "eu"
    small, large = build(world, "V-1", 1), build(world, "V-40", 40)
    graphql("{ __typename }", bu="acme.de", as_=as_)  # signs in: the token's first use
    reply, small_count = view(graphql, small, as_)
    assert reply.errors == [] or as_ == "acme.de.sales", reply.errors
    reply, large_count = view(graphql, large, as_)
    data = reply.data["account"]
    assert len(data["contacts"]) == 40
    assert len(data["activities"]) == 40
    assert len(data["openOpportunities"]) == 40
    assert len(data["closedOpportunities"]) == 40
    assert len(data["tasks"]) == 40
    assert small_count == large_count, (small_count, large_count)
    assert large_count <= 15, large_count
    print(f"360 view as {as_}: {large_count} statements")


def test_the_360_view_content(world, graphql, settings):
    settings.REGION = "eu"
    account = build(world, "V-2", 2)
    reply, _count = view(graphql, account)
    assert reply.errors == [], reply.errors
    data = reply.data["account"]
    assert data["localCode"] == "L-V-2"
    assert data["salesOwner"] == {"username": "acme.de.sales"}
    assert data["customer"]["code"] == "V-2"
    assert data["customer"]["legalName"] == "Kunde V-2 GmbH"
    assert data["customer"]["industry"] == "Retail"
    assert [c["lastName"] for c in data["contacts"]] == ["Person 00", "Person 01"]
    assert data["contacts"][0]["owner"] == {"username": "acme.de.sales"}
    assert [a["owner"]["username"] for a in data["activities"]] == ["acme.de.manager"] * 2
    assert data["openOpportunities"][0]["amount"] == {"amount": "1000.00", "currency": "EUR"}
    assert data["openOpportunities"][0]["stage"] == {
        "code": "qualification",
        "name": "Qualification",
    }
    assert data["openOpportunities"][0]["owner"] == {"username": "acme.de.sales"}
    (member,) = data["openOpportunities"][0]["team"]
    assert member["user"] == {"username": "acme.de.manager"}
    assert member["role"] == "SOLUTION_EXPERT"
    assert member["addedAt"]
    assert [d["status"] for d in data["closedOpportunities"]] == ["WON", "WON"]
    assert [t["title"] for t in data["tasks"]] == ["Task 0", "Task 1"]


NESTED = """
{ contacts(first: 50) { edges { node { lastName
  account { localCode contacts(first: 3) { lastName owner { username } } } } } } }
"""


def test_accounts_reached_from_a_contact_list_load_their_lists_together(world, graphql, settings):
    settings.REGION = "eu"
    graphql("{ __typename }", bu="acme.de", as_="acme.de.sales")

    def add(number: int) -> None:
        customer = golden(world.acme_id, f"C-N{number:02d}", f"Nested {number}")
        account = bu_account("acme.de", customer, owner="acme.de.sales")
        for person in range(2):
            bu_contact("acme.de", account, last_name=f"N{number}-{person}", owner="acme.de.sales")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            reply = graphql(NESTED, bu="acme.de", as_="acme.de.sales")
        assert reply.errors == [], reply.errors
        return len(queries.captured_queries)

    add(0)
    one = count()
    for number in range(1, 15):
        add(number)
    assert count() == one
