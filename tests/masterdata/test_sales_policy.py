"""Sales policy: each BU role's discount limit without approval, set by HQ, read by the BU."""

from __future__ import annotations

from typing import Any

import pytest

from crm.masterdata.models import SalesPolicy

SET = """
mutation($bu: String!, $role: String!, $max: Decimal!) {
  salesPolicySet(businessUnit: $bu, role: $role, maxDiscount: $max) {
    errors { field code } salesPolicy { businessUnit role maxDiscount } } }
"""
MINE = "{ myMaxDiscount }"
LIST = "{ salesPolicies { businessUnit role maxDiscount } }"


def set_policy(graphql: Any, unit: str, role: str, value: str, **kw: Any) -> list[tuple[str, str]]:
    reply = graphql(SET, {"bu": unit, "role": role, "max": value}, **kw)
    assert reply.errors == [], reply.errors
    return [(e["code"], e["field"]) for e in reply.data["salesPolicySet"]["errors"]]


def as_de(graphql: Any, settings: Any, query: str, user: str) -> Any:
    settings.REGION = "eu"
    reply = graphql(query, bu="acme.de", as_=user)
    settings.REGION = "cn"
    return reply


def test_hq_sets_limits_and_each_person_gets_the_largest_of_their_roles(world, graphql, settings):
    assert set_policy(graphql, "de", "front_sales", "10", as_="acme.steward") == []
    assert set_policy(graphql, "de", "bu_manager", "20.5", as_="acme.steward") == []
    assert set_policy(graphql, "de", "front_sales", "12", as_="acme.steward") == []  # update
    assert as_de(graphql, settings, MINE, "acme.de.sales").data == {"myMaxDiscount": "12.00"}
    assert as_de(graphql, settings, MINE, "acme.de.manager").data == {"myMaxDiscount": "20.50"}
    assert as_de(graphql, settings, MINE, "acme.de.legal").data == {"myMaxDiscount": "0"}
    assert SalesPolicy.objects.count() == 2


def test_a_bu_sees_its_own_limits_only(world, graphql, settings):
    set_policy(graphql, "de", "front_sales", "10", as_="acme.steward")
    set_policy(graphql, "jp", "front_sales", "5", as_="acme.steward")
    seen = as_de(graphql, settings, LIST, "acme.de.sales").data["salesPolicies"]
    assert seen == [{"businessUnit": "de", "role": "front_sales", "maxDiscount": "10.00"}]
    assert len(graphql(LIST, as_="acme.steward").data["salesPolicies"]) == 2


@pytest.mark.parametrize(
    ("bu", "role", "value", "expected"),
    [
        ("de", "front_sales", "120", ("INVALID_ARGUMENT", "maxDiscount")),
        ("de", "front_sales", "-1", ("INVALID_ARGUMENT", "maxDiscount")),
        ("de", "front_sales", "10.005", ("INVALID_ARGUMENT", "maxDiscount")),
        ("xx", "front_sales", "10", ("NOT_FOUND", "businessUnit")),
        ("main", "front_sales", "10", ("NOT_FOUND", "businessUnit")),  # another group's BU
        ("de", "no_such_role", "10", ("NOT_FOUND", "role")),
    ],
)
def test_bad_limits_are_typed_errors(world, graphql, bu, role, value, expected):
    assert set_policy(graphql, bu, role, value, as_="acme.steward") == [expected]
    assert not SalesPolicy.objects.exists()


def test_only_hq_sets_limits(world, graphql, settings):
    settings.REGION = "eu"
    refused = set_policy(graphql, "de", "front_sales", "50", bu="acme.de", as_="acme.de.manager")
    assert refused == [("PERMISSION_DENIED", None)]
    assert not SalesPolicy.objects.exists()
