"""Quoting quantities: volume breaks, conversion, typed errors per line, fixed query count."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from crm.masterdata.models import PriceList

QUOTE = """
query($lines: [QuoteLineInput!]!) { priceQuote(lines: $lines) {
  currency total { amount currency }
  lines { materialCode quantity unitPrice { amount } lineTotal { amount } priceList breakFrom
          conversion { rate } error { field code } } } }
"""
SET = """
mutation($id: ID!, $items: [PriceInput!]!) {
  priceListSetItems(id: $id, items: $items) { errors { field code } } }
"""


def quote(graphql: Any, settings: Any, lines: list[tuple[str, str]]) -> Any:
    settings.REGION = "eu"
    reply = graphql(
        QUOTE,
        {"lines": [{"materialCode": c, "quantity": q} for c, q in lines]},
        bu="acme.de",
        as_="acme.de.sales",
    )
    settings.REGION = "cn"
    return reply


def eu_breaks(graphql: Any, world: Any, breaks: list[dict[str, str]]) -> list[Any]:
    eu = PriceList.objects.get(group_id=world.acme_id, code="EU")
    reply = graphql(
        SET,
        {
            "id": to_global_id("PriceList", eu.pk),
            "items": [{"materialCode": "M-001", "amount": "11.50", "breaks": breaks}],
        },
    )
    assert reply.errors == [], reply.errors
    return list(reply.data["priceListSetItems"]["errors"])


def test_lines_are_priced_converted_and_refused_one_by_one(world, graphql, settings):
    reply = quote(
        graphql, settings, [("M-001", "10"), ("M-031", "2"), ("M-NOPRICE", "1"), ("NOPE", "1")]
    )
    assert reply.errors == []
    data = reply.data["priceQuote"]
    assert data["currency"] == "EUR"
    first, converted, unpriced, unknown = data["lines"]
    assert (first["unitPrice"], first["lineTotal"], first["priceList"]) == (
        {"amount": "11.50"},
        {"amount": "115.00"},
        "EU",
    )
    assert converted["priceList"] == "G"
    assert converted["conversion"] == {"rate": "0.1280000000"}
    assert unpriced["error"] == {"field": "lines", "code": "PRICE_NOT_FOUND"}
    assert unknown["error"] == {"field": "lines", "code": "NOT_FOUND"}
    assert data["total"] is None  # never a partial sum passed off as the quote's total


def test_volume_breaks_apply_from_their_quantity(world, graphql, settings):
    assert (
        eu_breaks(
            graphql,
            world,
            [{"minQuantity": "100", "amount": "10.00"}, {"minQuantity": "200", "amount": "9.50"}],
        )
        == []
    )
    lines = quote(graphql, settings, [("M-001", "99"), ("M-001", "100"), ("M-001", "250")])
    prices = [
        (line["unitPrice"]["amount"], line["breakFrom"])
        for line in lines.data["priceQuote"]["lines"]
    ]
    assert prices == [("11.50", None), ("10.00", "100.0000"), ("9.50", "200.0000")]
    assert lines.data["priceQuote"]["total"] == {"amount": "4513.50", "currency": "EUR"}


def test_bad_breaks_and_bad_quotes_are_typed_errors(world, graphql, settings):
    assert [
        e["code"] for e in eu_breaks(graphql, world, [{"minQuantity": "1", "amount": "9"}])
    ] == ["INVALID_ARGUMENT"]
    twice = [{"minQuantity": "5", "amount": "9"}, {"minQuantity": "5", "amount": "8"}]
    assert [e["code"] for e in eu_breaks(graphql, world, twice)] == ["INVALID_ARGUMENT"]
    assert quote(graphql, settings, [("M-001", "0")]).codes == ["INVALID_ARGUMENT"]
    assert quote(graphql, settings, [("M-001", "1")] * 201).codes == ["INVALID_ARGUMENT"]
    assert quote(graphql, settings, []).codes == ["INVALID_ARGUMENT"]


def test_a_fifty_line_quote_costs_a_fixed_handful_of_queries(world, graphql, settings):
    lines = [(f"M-{n:03d}", str(n)) for n in range(1, 51)]  # EU-priced and converted ones
    quote(graphql, settings, lines[:1])  # the token's first use, outside the count
    with CaptureQueriesContext(connection) as queries:
        reply = quote(graphql, settings, lines)
    assert reply.errors == []
    assert all(line["error"] is None for line in reply.data["priceQuote"]["lines"])
    print(f"50-line quote: {len(queries)} SQL statements")
    assert len(queries) <= 10, [q["sql"][:80] for q in queries]
