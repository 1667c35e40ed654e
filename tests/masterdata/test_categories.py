"""The group's material tree: stewards build it; filtering by a category includes its subtree."""

from __future__ import annotations

from typing import Any

from crm.masterdata.models import Material, MaterialCategory

CREATE = """
mutation($code: String!, $parent: String) {
  materialCategoryCreate(code: $code, names: [{language: "en", text: $code},
                         {language: "de", text: "Kategorie"}], parent: $parent) {
    errors { field code } category { code name parent } } }
"""
ASSIGN = """
mutation($id: ID!, $category: String) {
  materialUpdate(id: $id, category: $category) { errors { field code } } }
"""
FILTERED = """
query($c: String!) { materials(first: 50, filter: {category: $c}) {
  totalCount edges { node { code category { code name } } } } }
"""


def errors(reply: Any, name: str) -> list[tuple[str, str]]:
    assert reply.errors == [], reply.errors
    return [(e["code"], e["field"]) for e in reply.data[name]["errors"]]


def tree(graphql: Any) -> None:
    for code, parent in (("DISPLAYS", None), ("AUTO", "DISPLAYS"), ("CLUSTER", "AUTO")):
        assert (
            errors(
                graphql(CREATE, {"code": code, "parent": parent}, as_="acme.steward"),
                "materialCategoryCreate",
            )
            == []
        )


def test_a_category_filter_includes_the_subtree(world, graphql):
    from graphql_relay import to_global_id

    tree(graphql)
    for code, category in (("M-001", "DISPLAYS"), ("M-002", "AUTO"), ("M-003", "CLUSTER")):
        material = Material.objects.get(group_id=world.acme_id, code=code)
        assert (
            errors(
                graphql(
                    ASSIGN,
                    {"id": to_global_id("Material", material.pk), "category": category},
                    as_="acme.steward",
                ),
                "materialUpdate",
            )
            == []
        )
    auto = graphql(FILTERED, {"c": "AUTO"}, language="de").data["materials"]
    assert auto["totalCount"] == 2
    assert [e["node"]["category"]["code"] for e in auto["edges"]] == ["AUTO", "CLUSTER"]
    assert auto["edges"][0]["node"]["category"]["name"] == "Kategorie"
    assert graphql(FILTERED, {"c": "DISPLAYS"}).data["materials"]["totalCount"] == 3


def test_bad_categories_are_typed_errors(world, graphql, settings):
    tree(graphql)
    assert errors(
        graphql(CREATE, {"code": "AUTO"}, as_="acme.steward"), "materialCategoryCreate"
    ) == [("ALREADY_EXISTS", "code")]
    assert errors(
        graphql(CREATE, {"code": "X", "parent": "NOPE"}, as_="acme.steward"),
        "materialCategoryCreate",
    ) == [("NOT_FOUND", "category")]
    assert graphql(FILTERED, {"c": "NOPE"}).codes == ["NOT_FOUND"]
    settings.REGION = "eu"
    denied = graphql(CREATE, {"code": "MINE"}, bu="acme.de", as_="acme.de.manager")
    assert errors(denied, "materialCategoryCreate") == [("PERMISSION_DENIED", None)]
    listed = graphql("{ materialCategories { code parent } }", bu="acme.de", as_="acme.de.sales")
    assert {c["code"] for c in listed.data["materialCategories"]} == {"DISPLAYS", "AUTO", "CLUSTER"}
    assert not MaterialCategory.objects.filter(code__in=["X", "MINE"]).exists()
