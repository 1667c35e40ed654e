"""Every change to master data is versioned: who, when, from where, why, field by field."""

from __future__ import annotations

from typing import Any

from crm.masterdata.models import Material

CREATE = """
mutation($reason: String) {
  materialCreate(code: "H-1", unit: PIECE, names: [{language: "en", text: "Hinge"}],
                 standardCost: "2.5", reason: $reason) { errors { code } material { id } } }
"""
UPDATE = """
mutation($id: ID!, $cost: Decimal, $code: String, $reason: String) {
  materialUpdate(id: $id, standardCost: $cost, code: $code, reason: $reason) {
    errors { code } } }
"""
ADVANCE = """
mutation($id: ID!) { materialChangeStage(id: $id, direction: ADVANCE) { errors { code } } }
"""
HISTORY = """
query($type: HistoryObjectType!, $id: ID!) {
  history(objectType: $type, id: $id) {
    action row actor businessUnit operation reason changes { field before after } } }
"""


def ok(reply: Any) -> dict[str, Any]:
    assert reply.errors == [], reply.errors
    (payload,) = reply.data.values()
    assert payload.get("errors", []) == [], payload
    return dict(payload)


def test_each_change_records_who_where_why_and_the_field_values(world, graphql):
    created = ok(graphql(CREATE, {"reason": "new hinge range"}, as_="acme.steward"))
    material_id = created["material"]["id"]
    ok(
        graphql(
            UPDATE,
            {"id": material_id, "cost": "3.0", "reason": "supplier price"},
            as_="acme.steward",
        )
    )
    reply = graphql(HISTORY, {"type": "MATERIAL", "id": material_id}, as_="acme.steward")
    update, insert = reply.data["history"]
    assert insert["action"] == "insert"
    assert insert["reason"] == "new hinge range"
    assert {"field": "code", "before": None, "after": "H-1"} in insert["changes"]
    assert update == {
        "action": "update",
        "row": "Material",
        "actor": "acme.steward",
        "businessUnit": "acme.hq",
        "operation": "MaterialUpdate",
        "reason": "supplier price",
        "changes": [{"field": "standard_cost", "before": "2.5", "after": "3.0"}],
    }


def test_a_refused_change_leaves_no_history(world, graphql, settings):
    material = Material.objects.get(group_id=world.acme_id, code="M-001")
    from graphql_relay import to_global_id

    material_id = to_global_id("Material", material.pk)
    before = graphql(HISTORY, {"type": "MATERIAL", "id": material_id}).data["history"]
    settings.REGION = "eu"
    denied = graphql(UPDATE, {"id": material_id, "code": "X"}, bu="acme.de", as_="acme.de.sales")
    assert [e["code"] for e in denied.data["materialUpdate"]["errors"]] == ["PERMISSION_DENIED"]
    settings.REGION = "cn"
    assert graphql(HISTORY, {"type": "MATERIAL", "id": material_id}).data["history"] == before


def test_history_shows_only_records_and_fields_the_caller_may_read(world, graphql, settings):
    created = ok(graphql(CREATE, {}, as_="acme.steward"))
    material_id = created["material"]["id"]
    settings.REGION = "eu"
    draft = graphql(
        HISTORY, {"type": "MATERIAL", "id": material_id}, bu="acme.de", as_="acme.de.sales"
    )
    assert draft.codes == ["NOT_FOUND"]  # sales do not see drafts, nor their history
    settings.REGION = "cn"
    ok(graphql(ADVANCE, {"id": material_id}, as_="acme.steward"))
    ok(graphql(UPDATE, {"id": material_id, "cost": "9"}, as_="acme.steward"))
    settings.REGION = "eu"
    seen = graphql(
        HISTORY, {"type": "MATERIAL", "id": material_id}, bu="acme.de", as_="acme.de.sales"
    )
    assert seen.errors == []
    fields = {c["field"] for entry in seen.data["history"] for c in entry["changes"]}
    assert "standard_cost" not in fields  # hidden from sales: not in history either
    assert "status" in fields
    # The cost-only update is left out entirely; the insert and the stage change remain.
    assert [e["action"] for e in seen.data["history"]] == ["update", "insert"]


def test_a_price_list_history_includes_its_items(world, graphql):
    from graphql_relay import to_global_id

    from crm.masterdata.models import PriceList

    eu = PriceList.objects.get(group_id=world.acme_id, code="EU")
    list_id = to_global_id("PriceList", eu.pk)
    ok(
        graphql(
            """mutation($id: ID!) { priceListSetItems(id: $id, reason: "new year",
             items: [{materialCode: "M-001", amount: "12.00"}]) { errors { code } } }""",
            {"id": list_id},
        )
    )
    latest = graphql(HISTORY, {"type": "PRICE_LIST", "id": list_id}).data["history"][0]
    assert latest["row"] == "PriceListItem"
    assert latest["reason"] == "new year"
    assert {"field": "amount", "before": "11.5", "after": "12.0"} in latest["changes"]


def test_bad_history_requests_are_typed_errors(world, graphql):
    assert graphql(HISTORY, {"type": "MATERIAL", "id": "nope"}).codes == ["MALFORMED_ID"]
    rival = Material.objects.get(code="RIVAL-SECRET")
    from graphql_relay import to_global_id

    assert graphql(
        HISTORY, {"type": "MATERIAL", "id": to_global_id("Material", rival.pk)}
    ).codes == ["NOT_FOUND"]


RENAME = """
mutation($id: ID!, $names: [TranslationInput!]) {
  materialUpdate(id: $id, names: $names, reason: "German name fixed") { errors { code } } }
"""


def test_a_change_to_one_languages_name_is_recorded_with_that_language(world, graphql):
    created = ok(graphql(CREATE, {"reason": "new hinge range"}, as_="acme.steward"))
    material_id = created["material"]["id"]
    ok(
        graphql(
            RENAME,
            {"id": material_id, "names": [{"language": "de", "text": "Scharnier"}]},
            as_="acme.steward",
        )
    )
    ok(
        graphql(
            RENAME,
            {"id": material_id, "names": [{"language": "de", "text": "Scharnier (Stahl)"}]},
            as_="acme.steward",
        )
    )
    reply = graphql(HISTORY, {"type": "MATERIAL", "id": material_id}, as_="acme.steward")
    latest, first_rename, insert = reply.data["history"]
    assert latest["changes"] == [
        {"field": "name_de", "before": "Scharnier", "after": "Scharnier (Stahl)"}
    ]
    assert first_rename["changes"] == [{"field": "name_de", "before": None, "after": "Scharnier"}]
    assert {"field": "name_en", "before": None, "after": "Hinge"} in insert["changes"]


def test_a_customers_trade_name_in_one_language_has_history(world, graphql):
    from crm.masterdata.customers.models import Customer
    from crm.tests.transfer.helpers import csv_bytes, run_import

    run_import(
        csv_bytes("code,legal_name,country,trade_name_ja", "HIS-1,Hist AG,DE,"), kind="CUSTOMERS"
    )
    run_import(
        csv_bytes("code,legal_name,country,trade_name_ja", "HIS-1,Hist AG,DE,ヒスト"),
        kind="CUSTOMERS",
    )
    from graphql_relay import to_global_id

    customer = Customer.objects.get(code="HIS-1")
    reply = graphql(
        HISTORY,
        {"type": "CUSTOMER", "id": to_global_id("Customer", str(customer.pk))},
        as_="acme.steward",
    )
    update = reply.data["history"][0]
    assert update["action"] == "update"
    assert update["changes"] == [{"field": "trade_name_ja", "before": None, "after": "ヒスト"}]
    assert update["operation"] == "masterDataImport"


def test_a_replaced_exchange_rate_keeps_its_old_value_in_history(world, graphql):
    """Rate files replace the rate of a day; the history keeps what it was and who changed it."""
    import pghistory
    from graphql_relay import to_global_id

    from crm.masterdata import fx
    from crm.masterdata.models import ExchangeRate
    from crm.tenants.models import Group

    acme = Group.objects.get(pk=world.acme_id)
    with pghistory.context(operation="exchangeRatesImport", reason="first file"):
        fx.import_rates_csv(
            group=acme, text="date,base,quote,rate\n2001-05-02,CNY,USD,0.12\n", source="a"
        )
    with pghistory.context(operation="exchangeRatesImport", reason="corrected"):
        fx.import_rates_csv(
            group=acme, text="date,base,quote,rate\n2001-05-02,CNY,USD,0.125\n", source="a"
        )
    rate = ExchangeRate.objects.get(group=acme, quote="USD", date="2001-05-02")
    reply = graphql(
        HISTORY,
        {"type": "EXCHANGE_RATE", "id": to_global_id("ExchangeRate", str(rate.pk))},
        as_="acme.steward",
    )
    update, insert = reply.data["history"]
    assert update["reason"] == "corrected"
    assert update["changes"] == [{"field": "rate", "before": "0.12", "after": "0.125"}]
    assert insert["action"] == "insert"
