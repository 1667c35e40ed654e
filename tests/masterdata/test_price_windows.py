"""Two live prices of one material for the same scope and currency never overlap in time.

PostgreSQL enforces it (an exclusion constraint over the items' copied date ranges); the API
turns the refusal into PRICE_WINDOW_OVERLAP naming the material and the other list.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from graphql_relay import to_global_id

from crm.masterdata.models import Material, PriceList, PriceListItem

STEWARD = "acme.steward"
CREATE = """
mutation($code: String!, $currency: String!, $scope: PriceScope!, $region: String,
         $from: Date!, $to: Date) {
  priceListCreate(code: $code, names: [{language: "en", text: "t"}], currency: $currency,
                  coverage: {scope: $scope, region: $region}, validFrom: $from, validTo: $to) {
    errors { field code } priceList { id status } } }
"""
SET_ITEMS = """
mutation($id: ID!, $items: [PriceInput!]!) {
  priceListSetItems(id: $id, items: $items) { errors { field code message } priceList { id } } }
"""
ADVANCE = """
mutation($id: ID!) { priceListChangeStage(id: $id, direction: ADVANCE) {
  errors { field code message } priceList { status } } }
"""
UPDATE = """
mutation($id: ID!, $from: Date, $to: Date) {
  priceListUpdate(id: $id, validFrom: $from, validTo: $to) {
    errors { field code message } priceList { id } } }
"""


def ok(reply: Any) -> dict[str, Any]:
    assert reply.errors == [], reply.errors
    (payload,) = reply.data.values()
    return dict(payload)


def draft(
    graphql: Any,
    code: str,
    *,
    start: str,
    end: str | None,
    currency: str = "EUR",
    scope: str = "REGION",
    region: str | None = "eu",
    items: tuple[str, ...] = ("M-001",),
) -> str:
    created = ok(
        graphql(
            CREATE,
            {
                "code": code,
                "currency": currency,
                "scope": scope,
                "region": region,
                "from": start,
                "to": end,
            },
            as_=STEWARD,
        )
    )
    assert created["errors"] == [], created
    list_id = created["priceList"]["id"]
    prices = [{"materialCode": m, "amount": "9.99"} for m in items]
    assert ok(graphql(SET_ITEMS, {"id": list_id, "items": prices}, as_=STEWARD))["errors"] == []
    return str(list_id)


def test_the_database_refuses_overlapping_live_prices_whatever_the_caller(world):
    """Straight through the ORM, no service in between: the constraint itself answers."""
    eu = PriceList.objects.get(group_id=world.acme_id, code="EU")
    clash = PriceList.objects.create(
        group_id=world.acme_id,
        code="CLASH",
        name_en="c",
        currency="EUR",
        scope="REGION",
        region_id="eu",
        valid_from=datetime.date(2027, 1, 1),
        status="ACTIVE",
    )
    material = Material.objects.get(group_id=world.acme_id, code="M-001")
    assert eu.items.filter(material=material).exists()
    with pytest.raises(IntegrityError, match="price_windows_do_not_overlap"), transaction.atomic():
        PriceListItem.objects.create(price_list=clash, material=material, amount=Decimal(1))


def test_activating_an_overlapping_list_is_refused_and_changes_nothing(world, graphql):
    list_id = draft(graphql, "EU-MID", start="2027-01-01", end="2027-12-31")  # a draft may
    payload = ok(graphql(ADVANCE, {"id": list_id}, as_=STEWARD))
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("PRICE_WINDOW_OVERLAP", "id")]
    assert "M-001" in payload["errors"][0]["message"]
    assert "EU" in payload["errors"][0]["message"]
    assert PriceList.objects.get(code="EU-MID").status == "DRAFT"


@pytest.mark.parametrize(
    ("currency", "scope", "region", "start", "end"),
    [
        ("CNY", "REGION", "eu", "2027-01-01", None),  # another currency
        ("EUR", "GROUP", None, "2027-01-01", None),  # another scope
        ("EUR", "REGION", "ap", "2027-01-01", None),  # another region
        ("EUR", "REGION", "eu", "2021-01-01", "2025-12-31"),  # between EU-OLD and EU
    ],
    ids=["currency", "scope", "region", "adjacent-window"],
)
def test_prices_that_do_not_overlap_go_live(world, graphql, currency, scope, region, start, end):
    list_id = draft(
        graphql, "OK-1", start=start, end=end, currency=currency, scope=scope, region=region
    )
    payload = ok(graphql(ADVANCE, {"id": list_id}, as_=STEWARD))
    assert payload == {"errors": [], "priceList": {"status": "ACTIVE"}}


def test_adding_a_clashing_material_to_a_live_list_is_refused(world, graphql):
    list_id = draft(graphql, "EU-21", start="2021-01-01", end="2025-12-31", items=("M-040",))
    assert ok(graphql(ADVANCE, {"id": list_id}, as_=STEWARD))["errors"] == []
    # EU-OLD prices M-031 in 2020 only; stretch this list back into 2020 and it clashes.
    # A live list's start is the group admin's to move (the steward may only end it).
    late = ok(graphql(UPDATE, {"id": list_id, "from": "2020-06-01"}))
    assert [(e["code"], e["field"]) for e in late["errors"]] == []  # no M-031 on it yet
    clash = ok(
        graphql(
            SET_ITEMS,
            {
                "id": list_id,
                "items": [
                    {"materialCode": "M-041", "amount": "1"},
                    {"materialCode": "M-031", "amount": "1"},
                ],
            },
        )
    )
    assert [(e["code"], e["field"]) for e in clash["errors"]] == [("PRICE_WINDOW_OVERLAP", "items")]
    assert "M-031" in clash["errors"][0]["message"]
    assert "EU-OLD" in clash["errors"][0]["message"]
    on_list = set(
        PriceListItem.objects.filter(price_list__code="EU-21").values_list(
            "material__code", flat=True
        )
    )
    assert on_list == {"M-040"}  # all or nothing: M-041 did not stay either


def test_moving_a_live_window_onto_another_is_refused(world, graphql):
    list_id = draft(graphql, "EU-21", start="2021-01-01", end="2025-12-31")
    assert ok(graphql(ADVANCE, {"id": list_id}, as_=STEWARD))["errors"] == []
    payload = ok(graphql(UPDATE, {"id": list_id, "to": "2026-03-31"}, as_=STEWARD))  # may end it
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("PRICE_WINDOW_OVERLAP", "validFrom")
    ]
    assert PriceList.objects.get(code="EU-21").valid_to == datetime.date(2025, 12, 31)


def test_items_follow_their_list(world):
    eu = PriceList.objects.get(group_id=world.acme_id, code="EU")
    item = eu.items.first()
    assert item is not None
    assert (item.scope_key, item.currency, item.live) == ("REGION:eu", "EUR", True)
    eu.status = "RETIRED"
    eu.save()
    item.refresh_from_db()
    assert item.live is False
    assert to_global_id("PriceList", eu.pk)
