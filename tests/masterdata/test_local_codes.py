"""Business units' own material codes: mapped to the group code, unique per BU, searchable."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from crm.masterdata.models import Material, MaterialLocalCode

SET = """
mutation($id: ID!, $bu: String!, $code: String) {
  materialSetLocalCode(id: $id, businessUnit: $bu, code: $code) {
    errors { field code } material { code localCodes { businessUnit code } } } }
"""
SEARCH = """query($s: String!) { materials(first: 10, search: $s) { edges { node { code } } } }"""
LIST = (
    """query($n: Int!) { materials(first: $n) { edges { node { code localCodes { code } } } } }"""
)


def gid(world: Any, code: str) -> str:
    return to_global_id("Material", Material.objects.get(group_id=world.acme_id, code=code).pk)


def payload(reply: Any) -> dict[str, Any]:
    assert reply.errors == [], reply.errors
    return dict(reply.data["materialSetLocalCode"])


def errors(reply: Any) -> list[tuple[str, str]]:
    return [(e["code"], e["field"]) for e in payload(reply)["errors"]]


def test_a_steward_maps_a_bu_code_and_every_bu_finds_the_material_by_it(world, graphql, settings):
    mapped = payload(
        graphql(
            SET, {"id": gid(world, "M-001"), "bu": "de", "code": "SAP-4711"}, as_="acme.steward"
        )
    )
    assert mapped["errors"] == []
    assert mapped["material"]["localCodes"] == [{"businessUnit": "de", "code": "SAP-4711"}]
    settings.REGION = "eu"
    found = graphql(SEARCH, {"s": "sap-4711"}, bu="acme.de", as_="acme.de.sales")
    assert [e["node"]["code"] for e in found.data["materials"]["edges"]] == ["M-001"]


def test_local_codes_are_unique_per_bu_only(world, graphql):
    graphql(SET, {"id": gid(world, "M-001"), "bu": "de", "code": "X-1"}, as_="acme.steward")
    taken = graphql(SET, {"id": gid(world, "M-002"), "bu": "de", "code": "X-1"}, as_="acme.steward")
    assert errors(taken) == [("ALREADY_EXISTS", "code")]
    elsewhere = graphql(
        SET, {"id": gid(world, "M-002"), "bu": "jp", "code": "X-1"}, as_="acme.steward"
    )
    assert errors(elsewhere) == []
    assert MaterialLocalCode.objects.filter(code="X-1").count() == 2


def test_remapping_replaces_and_a_null_code_unmaps(world, graphql):
    material = gid(world, "M-003")
    graphql(SET, {"id": material, "bu": "de", "code": "OLD"}, as_="acme.steward")
    graphql(SET, {"id": material, "bu": "de", "code": "NEW"}, as_="acme.steward")
    assert list(MaterialLocalCode.objects.values_list("code", flat=True)) == ["NEW"]
    cleared = payload(graphql(SET, {"id": material, "bu": "de", "code": None}, as_="acme.steward"))
    assert cleared["material"]["localCodes"] == []


def test_bad_mappings_are_typed_errors_and_change_nothing(world, graphql, settings):
    material = gid(world, "M-004")
    assert errors(graphql(SET, {"id": material, "bu": "xx", "code": "A"}, as_="acme.steward")) == [
        ("NOT_FOUND", "businessUnit")
    ]
    # Another group's BU is not found either.
    assert errors(
        graphql(SET, {"id": material, "bu": "main", "code": "A"}, as_="acme.steward")
    ) == [("NOT_FOUND", "businessUnit")]
    blank = graphql(SET, {"id": material, "bu": "de", "code": " " * 3}, as_="acme.steward")
    assert errors(blank) == [("INVALID_ARGUMENT", "code")]  # null unmaps; blank is a mistake
    too_long = graphql(SET, {"id": material, "bu": "de", "code": "Z" * 41}, as_="acme.steward")
    assert errors(too_long) == [("INVALID_ARGUMENT", "code")]
    settings.REGION = "eu"
    denied = graphql(
        SET, {"id": material, "bu": "de", "code": "A"}, bu="acme.de", as_="acme.de.sales"
    )
    assert errors(denied) == [("PERMISSION_DENIED", None)]  # no edit at all for sales
    assert not MaterialLocalCode.objects.exists()


def test_listing_local_codes_costs_no_query_per_material(world, graphql):
    for number in range(1, 21):
        code = f"M-{number:03d}"
        graphql(SET, {"id": gid(world, code), "bu": "de", "code": f"L{number}"}, as_="acme.steward")
    graphql(LIST, {"n": 1})
    counts = []
    for size in (1, 40):
        with CaptureQueriesContext(connection) as queries:
            reply = graphql(LIST, {"n": size})
        assert len(reply.data["materials"]["edges"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
