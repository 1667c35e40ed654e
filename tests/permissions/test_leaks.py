"""No side door: filters, orderings, counts, search, cursors and exports reveal nothing hidden.

A field the caller may not read is never filtered, ordered or exported on their behalf, and a
record outside their view (another stage, another business unit's list, another group) is not
counted, not found by search, not reached through a cursor, and not distinguishable from a record
that does not exist at all, whether it is read or written.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from graphql_relay import to_global_id

SALES = "acme.de.sales"
FINANCE = "acme.de.finance"
MANAGER = "acme.de.manager"
LEGAL = "acme.de.legal"

MATERIALS = """
query($first: Int, $after: String, $search: String, $filter: MaterialFilter,
      $orderBy: MaterialOrder) {
  materials(first: $first, after: $after, search: $search, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { code status } }
  }
}
"""
MATERIALS_WITH_COST = """
query($first: Int, $filter: MaterialFilter, $orderBy: MaterialOrder) {
  materials(first: $first, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { node { code name status standardCost { amount currency } } }
  }
}
"""
MATERIAL = """
query($id: ID, $code: String) { material(id: $id, code: $code) { id code status } }
"""
EXPORT = """
query($filter: MaterialFilter) { materialsExport(filter: $filter) { csv rows } }
"""
PRICE_LISTS = """
query($status: [PriceListStatus!]) {
  priceLists(first: 20, status: $status) { totalCount edges { node { code status } } }
}
"""
PRICE_LIST = """
query($code: String) { priceList(code: $code) { code status items { materialCode } } }
"""
UPDATE = """
mutation($id: ID!, $names: [TranslationInput!]) {
  materialUpdate(id: $id, names: $names) { errors { field code } material { code } }
}
"""
CHANGE_STAGE = """
mutation($id: ID!) {
  materialChangeStage(id: $id, direction: ADVANCE) { errors { field code } material { code } }
}
"""
DELETE = """
mutation($id: ID!) { materialDelete(id: $id) { errors { field code } deletedId } }
"""


# -- helpers ------------------------------------------------------------------------------------


def make_material(world: Any, code: str, status: str, cost: str | None = None) -> Any:
    from crm.masterdata.models import Material

    return Material.objects.create(
        group_id=world.acme_id,
        code=code,
        unit="PCS",
        status=status,
        name=f"Leaky {code}",
        name_en=f"Leaky {code}",
        standard_cost=None if cost is None else Decimal(cost),
    )


def set_costs(world: Any, costs: dict[str, str]) -> None:
    from crm.masterdata.models import Material

    for code, cost in costs.items():
        updated = Material.objects.filter(group_id=world.acme_id, code=code).update(
            standard_cost=Decimal(cost)
        )
        assert updated == 1


def leaks(world: Any) -> tuple[Any, Any]:
    """A DRAFT and an OBSOLETE material: out of every front-line BU role's view."""
    return (
        make_material(world, "LEAK-DRAFT", "DRAFT", "999"),
        make_material(world, "LEAK-OLD", "OBSOLETE", "777"),
    )


def gid(record: Any) -> str:
    return to_global_id(type(record).__name__, record.pk)


def codes_of(reply: Any, root: str = "materials") -> list[str]:
    assert reply.data[root] is not None, reply.errors
    return [edge["node"]["code"] for edge in reply.data[root]["edges"]]


def only_error(reply: Any) -> dict[str, Any]:
    (error,) = reply.errors
    return error


def payload(reply: Any, name: str) -> dict[str, Any]:
    assert reply.errors == [], reply.errors
    result: dict[str, Any] = reply.data[name]
    return result


def walk(graphql: Any, variables: dict[str, Any], **ask: Any) -> list[str]:
    """Every code of the `materials` list, page by page through `endCursor`."""
    seen: list[str] = []
    after = None
    for _ in range(200):
        reply = graphql(MATERIALS, {**variables, "after": after}, **ask)
        assert reply.errors == [], reply.errors
        page = reply.data["materials"]
        seen += [edge["node"]["code"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the pages never end")


def expected_cost_order(world: Any, *, descending: bool) -> list[str]:
    """Codes by standard cost (nulls last, either way), then by code: what paging must give."""
    from crm.masterdata.models import Material

    rows = list(
        Material.objects.filter(group_id=world.acme_id).values_list("code", "standard_cost")
    )
    costed = sorted(
        ((cost, code) for code, cost in rows if cost is not None),
        key=lambda pair: (-pair[0] if descending else pair[0], pair[1]),
    )
    return [code for _cost, code in costed] + sorted(code for code, cost in rows if cost is None)


# -- hidden fields in filters, orderings and lists ----------------------------------------------

COSTS = {"M-001": "5", "M-002": "500", "M-003": "50", "M-004": "50", "M-005": "50"}


@pytest.mark.parametrize("argument", ["standardCostAtLeast", "standardCostAtMost"])
def test_filtering_on_a_hidden_cost_is_refused(world, graphql, settings, argument):
    settings.REGION = "eu"
    set_costs(world, COSTS)
    reply = graphql(MATERIALS, {"first": 10, "filter": {argument: "100"}}, bu="acme.de", as_=SALES)
    assert reply.status == 200
    assert reply.data == {"materials": None}
    error = only_error(reply)
    assert error["extensions"]["code"] == "FIELD_FORBIDDEN"
    assert error["extensions"]["field"] == argument
    assert error["extensions"]["name"] == "standard_cost"
    assert error["path"] == ["materials"]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_ordering_on_a_hidden_cost_is_refused(world, graphql, settings, direction):
    settings.REGION = "eu"
    set_costs(world, COSTS)
    order = {"field": "STANDARD_COST", "direction": direction}
    reply = graphql(MATERIALS, {"first": 10, "orderBy": order}, bu="acme.de", as_=SALES)
    assert reply.data == {"materials": None}
    error = only_error(reply)
    assert error["extensions"]["code"] == "FIELD_FORBIDDEN"
    assert error["extensions"]["field"] == "orderBy"
    assert error["extensions"]["name"] == "standard_cost"


def test_ordering_on_a_readable_field_still_works_for_sales(world, graphql, settings):
    settings.REGION = "eu"
    order = {"field": "CODE", "direction": "DESC"}
    reply = graphql(MATERIALS, {"first": 3, "orderBy": order}, bu="acme.de", as_=SALES)
    assert reply.errors == []
    assert codes_of(reply) == ["M-NOPRICE", "M-060", "M-059"]


def test_a_hidden_filter_is_refused_even_when_combined_with_allowed_ones(world, graphql, settings):
    settings.REGION = "eu"
    set_costs(world, COSTS)
    variables = {
        "first": 10,
        "search": "M-00",
        "filter": {"status": ["ACTIVE"], "standardCostAtMost": "10"},
    }
    reply = graphql(MATERIALS, variables, bu="acme.de", as_=SALES)
    assert reply.data == {"materials": None}
    assert reply.codes == ["FIELD_FORBIDDEN"]
    assert reply.errors[0]["extensions"]["field"] == "standardCostAtMost"


def test_finance_may_filter_on_cost_and_gets_exactly_the_matches(world, graphql, settings):
    settings.REGION = "eu"
    set_costs(world, COSTS)
    leaks(world)  # LEAK-DRAFT costs 999 but is a draft; LEAK-OLD (777) is obsolete
    reply = graphql(
        MATERIALS_WITH_COST,
        {"first": 10, "filter": {"standardCostAtLeast": "100"}},
        bu="acme.de",
        as_=FINANCE,
    )
    assert reply.errors == []
    found = reply.data["materials"]
    # Finance views obsolete materials (so LEAK-OLD is in), never drafts.
    assert [edge["node"]["code"] for edge in found["edges"]] == ["LEAK-OLD", "M-002"]
    assert found["totalCount"] == 2
    costs = {edge["node"]["code"]: edge["node"]["standardCost"] for edge in found["edges"]}
    assert costs["M-002"] == {"amount": "500.0000", "currency": "CNY"}


def test_finance_filter_returns_exactly_m002_among_live_materials(world, graphql, settings):
    settings.REGION = "eu"
    set_costs(world, COSTS)
    reply = graphql(
        MATERIALS_WITH_COST,
        {"first": 10, "filter": {"standardCostAtLeast": "100"}},
        bu="acme.de",
        as_=FINANCE,
    )
    assert reply.errors == []
    assert codes_of(reply) == ["M-002"]
    assert reply.data["materials"]["totalCount"] == 1


def test_admin_orders_by_cost_and_pages_without_gaps_or_repeats(world, graphql):
    set_costs(world, COSTS)
    first_page = graphql(
        MATERIALS_WITH_COST,
        {"first": 3, "orderBy": {"field": "STANDARD_COST", "direction": "DESC"}},
    )
    assert first_page.errors == []
    assert codes_of(first_page) == ["M-002", "M-003", "M-004"]
    assert first_page.data["materials"]["edges"][0]["node"]["standardCost"] == {
        "amount": "500.0000",
        "currency": "CNY",
    }
    for descending, size in ((True, 2), (False, 5), (False, 3)):
        order = {"field": "STANDARD_COST", "direction": "DESC" if descending else "ASC"}
        seen = walk(graphql, {"first": size, "orderBy": order})
        # Pages of 2 split the tie at 50 and cross into the nulls; pages of 5 end exactly at the
        # last costed material; pages of 3 cross the nulls inside a page.
        assert len(seen) == len(set(seen)) == 61
        assert seen == expected_cost_order(world, descending=descending)
    assert seen[:6] == ["M-001", "M-003", "M-004", "M-005", "M-002", "M-006"]


def test_fifty_hidden_costs_give_fifty_nulls_and_fifty_errors(world, graphql, settings):
    settings.REGION = "eu"
    set_costs(world, COSTS)
    reply = graphql(MATERIALS_WITH_COST, {"first": 50}, bu="acme.de", as_=SALES)
    edges = reply.data["materials"]["edges"]
    assert len(edges) == 50
    assert reply.data["materials"]["totalCount"] == 61
    for number, edge in enumerate(edges, start=1):
        node = edge["node"]
        assert node["standardCost"] is None
        assert node["code"] == f"M-{number:03d}"
        assert node["name"] == ("Panel 2" if number == 2 else f"Bildschirm {number}")
        assert node["status"] == "ACTIVE"
    assert reply.codes == ["FIELD_FORBIDDEN"] * 50
    paths = [error["path"] for error in reply.errors]
    assert all(path[-1] == "standardCost" for path in paths)
    assert sorted(path[2] for path in paths) == list(range(50))
    assert all(path[:2] == ["materials", "edges"] and path[3] == "node" for path in paths)
    assert {error["extensions"]["field"] for error in reply.errors} == {"standardCost"}


# -- records out of view: counts, search, lookups, status filters, cursors ------------------------


def test_out_of_view_materials_are_not_counted(world, graphql, settings):
    leaks(world)
    admin = graphql(MATERIALS, {"first": 1})
    settings.REGION = "eu"
    sales = graphql(MATERIALS, {"first": 1}, bu="acme.de", as_=SALES)
    assert admin.errors == sales.errors == []
    assert admin.data["materials"]["totalCount"] == 63
    assert sales.data["materials"]["totalCount"] == 61
    assert codes_of(admin) == ["LEAK-DRAFT"]
    assert codes_of(sales) == ["M-001"]


def test_search_does_not_find_out_of_view_materials(world, graphql, settings):
    leaks(world)
    admin = graphql(MATERIALS, {"first": 10, "search": "LEAK"})
    assert codes_of(admin) == ["LEAK-DRAFT", "LEAK-OLD"]
    settings.REGION = "eu"
    for search in ("LEAK", "leak-draft", "Leaky"):
        reply = graphql(MATERIALS, {"first": 10, "search": search}, bu="acme.de", as_=SALES)
        assert reply.errors == []
        assert reply.data["materials"]["edges"] == []
        assert reply.data["materials"]["totalCount"] == 0


def test_out_of_view_material_is_not_found_like_a_missing_one(world, graphql, settings):
    draft, obsolete = leaks(world)
    settings.REGION = "eu"

    def ask(**variables: Any) -> Any:
        return graphql(MATERIAL, variables, bu="acme.de", as_=SALES)

    missing = ask(code="NO-SUCH-CODE")
    for reply in (ask(code="LEAK-DRAFT"), ask(code="LEAK-OLD")):
        assert reply.data == missing.data == {"material": None}
        assert reply.codes == missing.codes == ["NOT_FOUND"]
        extensions, missing_extensions = (
            reply.errors[0]["extensions"],
            missing.errors[0]["extensions"],
        )
        assert {k: v for k, v in extensions.items() if k != "id"} == {
            k: v for k, v in missing_extensions.items() if k != "id"
        }
    missing_by_id = ask(id=to_global_id("Material", draft.pk + obsolete.pk + 10_000))
    for record in (draft, obsolete):
        by_id = ask(id=gid(record))
        assert by_id.data == {"material": None}
        assert by_id.codes == missing_by_id.codes == ["NOT_FOUND"]
        assert by_id.errors[0]["extensions"]["field"] == "id"
        assert missing_by_id.errors[0]["extensions"]["field"] == "id"
    # The administrator finds both: the records do exist.
    settings.REGION = "cn"
    assert graphql(MATERIAL, {"code": "LEAK-DRAFT"}).data["material"]["status"] == "DRAFT"


@pytest.mark.parametrize(
    "statuses", [["DRAFT"], ["OBSOLETE"], ["DRAFT", "OBSOLETE"]], ids=lambda s: "+".join(s)
)
def test_status_filter_for_out_of_view_stages_is_empty(world, graphql, settings, statuses):
    leaks(world)
    admin = graphql(MATERIALS, {"first": 10, "filter": {"status": statuses}})
    assert admin.data["materials"]["totalCount"] == len(statuses)
    settings.REGION = "eu"
    reply = graphql(
        MATERIALS, {"first": 10, "filter": {"status": statuses}}, bu="acme.de", as_=SALES
    )
    assert reply.errors == []
    assert reply.data["materials"]["edges"] == []
    assert reply.data["materials"]["totalCount"] == 0


def test_admin_cursors_used_by_sales_never_reach_drafts(world, graphql, settings):
    leaks(world)
    by_code = graphql(MATERIALS, {"first": 3})
    assert codes_of(by_code) == ["LEAK-DRAFT", "LEAK-OLD", "M-001"]
    by_cost = graphql(
        MATERIALS, {"first": 2, "orderBy": {"field": "STANDARD_COST", "direction": "DESC"}}
    )
    assert codes_of(by_cost) == ["LEAK-DRAFT", "LEAK-OLD"]
    cursors = [
        (edge["cursor"], edge["node"]["code"])
        for reply in (by_code, by_cost)
        for edge in reply.data["materials"]["edges"]
    ]
    settings.REGION = "eu"
    everything = [f"M-{n:03d}" for n in range(1, 61)] + ["M-NOPRICE"]
    for cursor, code in cursors:
        reply = graphql(MATERIALS, {"first": 100, "after": cursor}, bu="acme.de", as_=SALES)
        assert reply.errors == []
        # Without an ordering of its own, the cursor is read as a position by code.
        assert codes_of(reply) == [other for other in everything if other > code]
        assert reply.data["materials"]["totalCount"] == 61
    # Walking the whole list as sales from the start never meets a draft either.
    assert walk(graphql, {"first": 7}, bu="acme.de", as_=SALES) == everything


def test_a_cursor_of_another_list_is_refused(world, graphql):
    lists = graphql("{ priceLists(first: 1) { edges { cursor } } }")
    cursor = lists.data["priceLists"]["edges"][0]["cursor"]
    reply = graphql(MATERIALS, {"first": 5, "after": cursor})
    assert reply.data == {"materials": None}
    assert reply.codes == ["INVALID_CURSOR"]


# -- exports ------------------------------------------------------------------------------------


def export_rows(reply: Any) -> list[dict[str, str]]:
    assert reply.errors == [], reply.errors
    export = reply.data["materialsExport"]
    rows = list(csv.DictReader(io.StringIO(export["csv"])))
    assert export["rows"] == len(rows)
    return rows


def test_manager_export_leaves_cost_empty_and_has_no_drafts(world, graphql, settings):
    set_costs(world, COSTS)
    leaks(world)
    settings.REGION = "eu"
    rows = export_rows(graphql(EXPORT, bu="acme.de", as_=MANAGER))
    assert len(rows) == 61
    assert list(rows[0]) == ["code", "name", "unit", "status", "standard_cost"]
    assert [row["code"] for row in rows] == [f"M-{n:03d}" for n in range(1, 61)] + ["M-NOPRICE"]
    assert {row["standard_cost"] for row in rows} == {""}
    assert {row["status"] for row in rows} == {"ACTIVE"}
    assert rows[1]["name"] == "Panel 2"


def test_manager_export_filtered_on_cost_is_refused(world, graphql, settings):
    set_costs(world, COSTS)
    settings.REGION = "eu"
    reply = graphql(EXPORT, {"filter": {"standardCostAtLeast": "100"}}, bu="acme.de", as_=MANAGER)
    assert reply.data == {"materialsExport": None}
    assert reply.codes == ["FIELD_FORBIDDEN"]
    assert reply.errors[0]["extensions"]["field"] == "standardCostAtLeast"


def test_sales_may_not_export(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(EXPORT, bu="acme.de", as_=SALES)
    assert reply.data == {"materialsExport": None}
    assert reply.codes == ["PERMISSION_DENIED"]
    assert reply.errors[0]["extensions"]["action"] == "export"


def test_finance_export_shows_costs_and_no_drafts(world, graphql, settings):
    set_costs(world, COSTS)
    leaks(world)
    settings.REGION = "eu"
    rows = {row["code"]: row for row in export_rows(graphql(EXPORT, bu="acme.de", as_=FINANCE))}
    assert "LEAK-DRAFT" not in rows
    assert rows["LEAK-OLD"]["standard_cost"] == "777.0000"  # finance views obsolete materials
    assert rows["M-002"]["standard_cost"] == "500.0000"
    assert rows["M-001"]["standard_cost"] == "5.0000"
    assert rows["M-006"]["standard_cost"] == ""  # no cost at all
    assert len(rows) == 62


# -- price lists --------------------------------------------------------------------------------


def make_price_list(world: Any, code: str, status: str, **fields: Any) -> Any:
    from crm.masterdata.models import PriceList

    return PriceList.objects.create(
        group_id=world.acme_id,
        code=code,
        name=code,
        name_en=code,
        currency=fields.pop("currency", "EUR"),
        scope=fields.pop("scope", "REGION"),
        region_id=fields.pop("region_id", "eu"),
        valid_from=fields.pop("valid_from", datetime.date(2026, 1, 1)),
        status=status,
        **fields,
    )


def test_sales_sees_the_active_lists_applying_to_its_bu(world, graphql, settings):
    make_price_list(world, "EU-DRAFT", "DRAFT")
    make_price_list(world, "EU-RETIRED", "RETIRED")
    settings.REGION = "eu"
    reply = graphql(PRICE_LISTS, bu="acme.de", as_=SALES)
    assert reply.errors == []
    assert codes_of(reply, "priceLists") == ["EU", "EU-OLD", "G"]
    assert reply.data["priceLists"]["totalCount"] == 3
    assert {edge["node"]["status"] for edge in reply.data["priceLists"]["edges"]} == {"ACTIVE"}
    # The administrator sees every list of the group, and only of the group.
    settings.REGION = "cn"
    admin = graphql(PRICE_LISTS)
    assert codes_of(admin, "priceLists") == ["EU", "EU-DRAFT", "EU-OLD", "EU-RETIRED", "G", "JP"]


@pytest.mark.parametrize("status", ["DRAFT", "RETIRED"])
def test_sales_status_filter_for_unseen_stages_is_empty(world, graphql, settings, status):
    make_price_list(world, f"EU-{status}", status)
    settings.REGION = "eu"
    reply = graphql(PRICE_LISTS, {"status": [status]}, bu="acme.de", as_=SALES)
    assert reply.errors == []
    assert reply.data["priceLists"] == {"totalCount": 0, "edges": []}


@pytest.mark.parametrize("code", ["JP", "R", "EU-DRAFT"])
def test_lists_out_of_view_are_not_found_like_missing_ones(world, graphql, settings, code):
    make_price_list(world, "EU-DRAFT", "DRAFT")
    settings.REGION = "eu"
    missing = graphql(PRICE_LIST, {"code": "NO-SUCH-LIST"}, bu="acme.de", as_=SALES)
    reply = graphql(PRICE_LIST, {"code": code}, bu="acme.de", as_=SALES)
    assert reply.data == missing.data == {"priceList": None}
    assert reply.codes == missing.codes == ["NOT_FOUND"]
    assert reply.errors[0]["extensions"]["field"] == missing.errors[0]["extensions"]["field"]
    assert reply.errors[0]["extensions"]["object"] == "price_list"


def test_a_draft_list_does_not_price_materials(world, graphql, settings):
    from crm.masterdata.models import Material, PriceListItem

    draft = make_price_list(world, "EU-DRAFT", "DRAFT", valid_from=world.today)
    m001 = Material.objects.get(group_id=world.acme_id, code="M-001")
    PriceListItem.objects.create(price_list=draft, material=m001, amount=Decimal("0.01"))
    settings.REGION = "eu"
    reply = graphql(
        "{ materials(first: 1) { edges { node { code price { priceList amount { amount } } } } } }",
        bu="acme.de",
        as_=SALES,
    )
    assert reply.errors == []
    price = reply.data["materials"]["edges"][0]["node"]["price"]
    assert price == {"priceList": "EU", "amount": {"amount": "11.50"}}


def test_legal_sees_lists_but_not_their_items(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(
        "{ priceLists(first: 20) { totalCount edges { node { code items { materialCode } } } } }",
        bu="acme.de",
        as_=LEGAL,
    )
    edges = reply.data["priceLists"]["edges"]
    assert [edge["node"]["code"] for edge in edges] == ["EU", "EU-OLD", "G"]
    assert reply.data["priceLists"]["totalCount"] == 3
    assert [edge["node"]["items"] for edge in edges] == [None, None, None]
    assert reply.codes == ["FIELD_FORBIDDEN"] * 3
    assert sorted(error["path"] for error in reply.errors) == [
        ["priceLists", "edges", index, "node", "items"] for index in range(3)
    ]
    one = graphql(PRICE_LIST, {"code": "EU"}, bu="acme.de", as_=LEGAL)
    assert one.data == {"priceList": {"code": "EU", "status": "ACTIVE", "items": None}}
    assert one.codes == ["FIELD_FORBIDDEN"]
    assert one.errors[0]["path"] == ["priceList", "items"]


def test_sales_reads_the_items_of_a_visible_list(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(PRICE_LIST, {"code": "EU"}, bu="acme.de", as_=SALES)
    assert reply.errors == []
    items = [item["materialCode"] for item in reply.data["priceList"]["items"]]
    assert items == [f"M-{n:03d}" for n in range(1, 31)]


def test_items_of_a_visible_list_do_not_reveal_out_of_view_materials(world, graphql, settings):
    from crm.masterdata.models import Material, PriceList

    draft, _obsolete = leaks(world)
    eu = PriceList.objects.get(group_id=world.acme_id, code="EU")
    m001 = Material.objects.get(group_id=world.acme_id, code="M-001")
    # Through the API, as the group admin: a draft material priced on the live EU list, and
    # M-001 (on the list) phased out and then made obsolete.
    set_items = graphql(
        """mutation($id: ID!) { priceListSetItems(id: $id, items: [
             {materialCode: "LEAK-DRAFT", amount: "1.00"}]) { errors { code } } }""",
        {"id": gid(eu)},
    )
    assert set_items.data == {"priceListSetItems": {"errors": []}}
    for _step in range(2):
        moved = graphql(CHANGE_STAGE, {"id": gid(m001)})
        assert moved.data["materialChangeStage"]["errors"] == []
    m001.refresh_from_db()
    draft.refresh_from_db()
    assert (m001.status, draft.status) == ("OBSOLETE", "DRAFT")
    settings.REGION = "eu"
    assert graphql(MATERIAL, {"code": "M-001"}, bu="acme.de", as_=SALES).codes == ["NOT_FOUND"]
    reply = graphql(PRICE_LIST, {"code": "EU"}, bu="acme.de", as_=SALES)
    assert reply.errors == []
    items = [item["materialCode"] for item in reply.data["priceList"]["items"]]
    assert "LEAK-DRAFT" not in items
    assert "M-001" not in items
    assert items == [f"M-{n:03d}" for n in range(2, 31)]


# -- other groups -------------------------------------------------------------------------------


def test_another_group_never_sees_acme_materials(world, graphql):
    everything = graphql(MATERIALS, {"first": 100}, bu="rival.main")
    assert everything.errors == []
    assert codes_of(everything) == ["RIVAL-SECRET"]
    assert everything.data["materials"]["totalCount"] == 1
    for search in ("M-0", "Bildschirm", "Panel 1", "LEAK"):
        found = graphql(MATERIALS, {"first": 100, "search": search}, bu="rival.main")
        assert found.errors == []
        assert found.data["materials"] == {
            "totalCount": 0,
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "edges": [],
        }
    rows = export_rows(graphql(EXPORT, bu="rival.main"))
    assert [row["code"] for row in rows] == ["RIVAL-SECRET"]
    lists = graphql(PRICE_LISTS, bu="rival.main")
    assert codes_of(lists, "priceLists") == ["R"]


def test_another_group_cannot_find_acme_records_by_code_or_id(world, graphql):
    from crm.masterdata.models import Material, PriceList

    m001 = Material.objects.get(group_id=world.acme_id, code="M-001")
    group_list = PriceList.objects.get(group_id=world.acme_id, code="G")
    missing = graphql(MATERIAL, {"code": "NO-SUCH"}, bu="rival.main")
    for variables in ({"code": "M-001"}, {"id": gid(m001)}):
        reply = graphql(MATERIAL, variables, bu="rival.main")
        assert reply.data == {"material": None}
        assert reply.codes == missing.codes == ["NOT_FOUND"]
    for variables in ({"code": "G"}, {"id": gid(group_list)}):
        reply = graphql(
            "query($id: ID, $code: String) { priceList(id: $id, code: $code) { code } }",
            variables,
            bu="rival.main",
        )
        assert reply.data == {"priceList": None}
        assert reply.codes == ["NOT_FOUND"]
    # And acme does not see the rival's material either.
    assert graphql(MATERIALS, {"first": 5, "search": "RIVAL"}).data["materials"]["edges"] == []


def test_another_group_cannot_write_acme_records(world, graphql):
    from crm.masterdata.models import Material

    m001 = Material.objects.get(group_id=world.acme_id, code="M-001")
    reply = graphql(
        UPDATE, {"id": gid(m001), "names": [{"language": "en", "text": "x"}]}, bu="rival.main"
    )
    result = payload(reply, "materialUpdate")
    assert result == {"errors": [{"field": "id", "code": "NOT_FOUND"}], "material": None}
    m001.refresh_from_db()
    assert m001.name_en == "Panel 1"


def test_a_token_of_another_group_is_not_a_member_here(world, graphql):
    reply = graphql(MATERIALS, {"first": 1}, bu="acme.hq", as_="rival.admin")
    assert reply.status == 403
    assert reply.codes == ["NOT_A_MEMBER"]
    assert reply.data is None


# -- writes on records out of view --------------------------------------------------------------


def test_updating_an_out_of_view_material_is_not_found_and_changes_nothing(
    world, graphql, settings
):
    from crm.masterdata.models import Material

    draft, _obsolete = leaks(world)
    settings.REGION = "eu"
    names = [{"language": "en", "text": "x"}]
    reply = graphql(UPDATE, {"id": gid(draft), "names": names}, bu="acme.de", as_=SALES)
    missing = graphql(
        UPDATE,
        {"id": to_global_id("Material", draft.pk + 10_000), "names": names},
        bu="acme.de",
        as_=SALES,
    )
    result = payload(reply, "materialUpdate")
    assert result == {"errors": [{"field": "id", "code": "NOT_FOUND"}], "material": None}
    assert payload(missing, "materialUpdate") == result
    draft.refresh_from_db()
    assert draft.name_en == "Leaky LEAK-DRAFT"
    assert draft.status == "DRAFT"
    # A visible record the caller may not edit is refused differently: that one they can see.
    m001 = Material.objects.get(group_id=world.acme_id, code="M-001")
    visible = payload(
        graphql(UPDATE, {"id": gid(m001), "names": names}, bu="acme.de", as_=SALES),
        "materialUpdate",
    )
    assert [error["code"] for error in visible["errors"]] == ["PERMISSION_DENIED"]


def test_moving_or_deleting_an_out_of_view_material_is_not_found(world, graphql, settings):
    from crm.masterdata.models import Material

    draft, obsolete = leaks(world)
    settings.REGION = "eu"
    for record in (draft, obsolete):
        moved = payload(
            graphql(CHANGE_STAGE, {"id": gid(record)}, bu="acme.de", as_=SALES),
            "materialChangeStage",
        )
        assert moved == {"errors": [{"field": "id", "code": "NOT_FOUND"}], "material": None}
        deleted = payload(
            graphql(DELETE, {"id": gid(record)}, bu="acme.de", as_=SALES), "materialDelete"
        )
        assert deleted == {"errors": [{"field": "id", "code": "NOT_FOUND"}], "deletedId": None}
    assert sorted(
        Material.objects.filter(pk__in=[draft.pk, obsolete.pk]).values_list("code", "status")
    ) == [("LEAK-DRAFT", "DRAFT"), ("LEAK-OLD", "OBSOLETE")]


# -- malformed ids ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id",
    ["not-an-id", to_global_id("PriceList", 1), to_global_id("Material", "x1"), ""],
    ids=["garbage", "other-kind", "non-numeric", "empty"],
)
def test_malformed_id_is_a_typed_error(world, graphql, bad_id):
    reply = graphql(MATERIAL, {"id": bad_id})
    assert reply.data == {"material": None}
    assert reply.codes == ["MALFORMED_ID"]
    assert reply.errors[0]["extensions"]["field"] == "id"


def test_malformed_id_in_a_mutation_is_a_payload_error(world, graphql, settings):
    settings.REGION = "eu"
    reply = graphql(
        UPDATE,
        {"id": "not-an-id", "names": [{"language": "en", "text": "x"}]},
        bu="acme.de",
        as_=SALES,
    )
    assert payload(reply, "materialUpdate") == {
        "errors": [{"field": "id", "code": "MALFORMED_ID"}],
        "material": None,
    }
