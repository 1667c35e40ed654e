"""The materials connection: names in the request's language, today's price in the BU's currency."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

MATERIALS = """
query($first: Int, $after: String, $search: String) {
  materials(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id code name price {
      amount { amount currency } priceList listPrice { amount currency }
      conversion { rate rateDate rateType source { amount currency } }
    } } }
  }
}
"""


def nodes(reply: Any) -> dict[str, dict[str, Any]]:
    return {e["node"]["code"]: e["node"] for e in reply.data["materials"]["edges"]}


def test_german_bu_on_eu_cell_reads_german_names_and_eur_prices(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(MATERIALS, {"first": 3}, bu="acme.de", language="de")
    assert reply.errors == []
    found = nodes(reply)
    assert found["M-001"]["name"] == "Bildschirm 1"
    assert found["M-001"]["price"]["amount"] == {"amount": "11.50", "currency": "EUR"}
    assert found["M-001"]["price"]["priceList"] == "EU"
    assert found["M-001"]["price"]["conversion"] is None


def test_missing_german_name_falls_back_to_english(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(MATERIALS, {"first": 2}, bu="acme.de", language="de")
    assert nodes(reply)["M-002"]["name"] == "Panel 2"


def test_japanese_bu_gets_japanese_names_and_whole_yen(world, graphql, settings):
    settings.REGION = "ap"
    reply = graphql(MATERIALS, {"first": 12}, bu="acme.jp", language="ja")
    found = nodes(reply)
    assert found["M-001"]["name"] == "パネル 1"
    assert found["M-001"]["price"]["amount"] == {"amount": "1000", "currency": "JPY"}
    # M-011 has no JPY price: the group's CNY list converted at today's rate, whole yen.
    converted = found["M-011"]["price"]
    assert converted["priceList"] == "G"
    assert converted["listPrice"] == {"amount": "111.3700", "currency": "CNY"}
    assert converted["conversion"]["rate"] == "21.0500000000"
    assert converted["conversion"]["rateType"] == "SPOT"
    expected = (Decimal("111.37") * Decimal("21.05")).quantize(Decimal(1))
    assert converted["amount"] == {"amount": str(expected), "currency": "JPY"}


def test_language_comes_from_accept_language_else_the_bu_default(world, graphql, settings):
    settings.REGION = "eu"
    english = graphql(MATERIALS, {"first": 1}, bu="acme.de", language="en-GB,en;q=0.9")
    default = graphql(MATERIALS, {"first": 1}, bu="acme.de")
    settings.REGION = "cn"
    chinese = graphql(MATERIALS, {"first": 1}, bu="acme.hq", language="zh-CN")
    assert nodes(english)["M-001"]["name"] == "Panel 1"
    assert nodes(default)["M-001"]["name"] == "Bildschirm 1"
    assert nodes(chinese)["M-001"]["name"] == "面板 1"


def test_expired_list_is_ignored_and_conversion_names_its_date(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(MATERIALS, {"first": 1, "search": "M-031"}, bu="acme.de")
    price = nodes(reply)["M-031"]["price"]
    assert price["priceList"] == "G"
    assert price["conversion"]["rateDate"] is not None
    assert price["amount"]["currency"] == "EUR"


def test_material_without_price_gets_null_and_a_typed_error(world, graphql):
    reply = graphql(MATERIALS, {"first": 5, "search": "NOPRICE"})
    assert nodes(reply)["M-NOPRICE"]["price"] is None
    assert reply.codes == ["PRICE_NOT_FOUND"]
    assert reply.errors[0]["path"][-1] == "price"
    assert reply.errors[0]["extensions"]["material"] == "M-NOPRICE"


def test_pages_follow_the_cursor_without_gaps_or_repeats(world, graphql):
    seen: list[str] = []
    after = None
    while True:
        reply = graphql(MATERIALS, {"first": 25, "after": after})
        page = reply.data["materials"]
        seen += [e["node"]["code"] for e in page["edges"]]
        assert page["totalCount"] == 61
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 61


def test_search_matches_names_in_any_language(world, graphql):
    by_japanese = graphql(MATERIALS, {"first": 10, "search": "パネル 12"})
    by_german = graphql(MATERIALS, {"first": 10, "search": "bildschirm 12"})
    assert set(nodes(by_japanese)) == {"M-012"}
    assert set(nodes(by_german)) == {"M-012"}


def test_sql_count_does_not_grow_with_page_size(world, graphql):
    graphql(MATERIALS, {"first": 1})  # signs in and records the token's first use
    counts = []
    for first in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            reply = graphql(MATERIALS, {"first": first})
        assert reply.errors == []
        assert len(reply.data["materials"]["edges"]) == first
        counts.append(len(queries))
    assert counts[0] == counts[1]


# Isolation: another group's master data is invisible by every path.


def test_other_groups_materials_are_not_listed_or_searched(world, graphql):
    listed = graphql(MATERIALS, {"first": 100})
    searched = graphql(MATERIALS, {"first": 10, "search": "SECRET"})
    assert "RIVAL-SECRET" not in nodes(listed)
    assert searched.data["materials"]["totalCount"] == 0


def test_other_groups_material_is_not_found_by_id_or_code(world, graphql):
    from crm.masterdata.models import Material

    secret = Material.objects.get(code="RIVAL-SECRET")
    global_id = base64.b64encode(f"Material:{secret.pk}".encode()).decode()
    by_id = graphql("query($id: ID){ material(id: $id) { code } }", {"id": global_id})
    by_code = graphql('{ material(code: "RIVAL-SECRET") { code } }')
    assert by_id.codes == ["NOT_FOUND"]
    assert by_code.codes == ["NOT_FOUND"]
    own = graphql('{ material(code: "RIVAL-SECRET") { code name } }', bu="rival.main")
    assert own.data["material"] == {"code": "RIVAL-SECRET", "name": "Secret panel"}


# Bad input: a typed error, and nothing else happens.


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({}, "PAGE_SIZE_REQUIRED", "first"),
        ({"first": 101}, "PAGE_SIZE_TOO_LARGE", "first"),
        ({"first": -1}, "INVALID_ARGUMENT", "first"),
        ({"first": 5, "after": "not a cursor!"}, "INVALID_CURSOR", "after"),
        ({"first": 5, "after": base64.b64encode(b"Other:x").decode()}, "INVALID_CURSOR", "after"),
        ({"first": 5, "search": "x" * 101}, "INVALID_ARGUMENT", "search"),
    ],
)
def test_bad_paging_arguments_get_typed_errors(world, graphql, variables, code, field):
    reply = graphql(MATERIALS, variables)
    assert reply.codes == [code]
    assert reply.errors[0]["extensions"]["field"] == field
    assert reply.data["materials"] is None


@pytest.mark.parametrize(
    "bad_id", ["%%%", "TWF0ZXJpYWw6YWJj", base64.b64encode(b"Region:1").decode()]
)
def test_malformed_id_is_a_typed_error(world, graphql, bad_id):
    reply = graphql("query($id: ID){ material(id: $id) { code } }", {"id": bad_id})
    assert reply.codes == ["MALFORMED_ID"]


def test_business_unit_query(world, graphql):
    reply = graphql(
        "{ businessUnit { code handle language currency timeZone region { code jurisdiction } } }",
        bu="acme.hq",
    )
    assert reply.data["businessUnit"] == {
        "code": "hq",
        "handle": "acme.hq",
        "language": "zh-hans",
        "currency": "CNY",
        "timeZone": "Asia/Shanghai",
        "region": {"code": "cn", "jurisdiction": "PIPL"},
    }
