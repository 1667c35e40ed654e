"""Deals through the API for acme.de: creation, amounts and their conversion, stage gates,
closing, reopening, products, isolation and field modes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.masterdata.models import ExchangeRate, Material
from crm.platform.accounts.models import User
from crm.tenants.contacts.models import ActivityKind
from crm.tenants.customfields.models import FieldDefinition, FieldRequirement
from crm.tenants.opportunities.models import Opportunity, OpportunityEvent
from crm.tests.fixtures.ids import pk_in
from crm.tests.opportunities.helpers import (
    access_of,
    log_activity,
    make_account,
    make_deal,
    material_ids,
)

DEAL = """
fragment D on Opportunity {
  id name status probability score expectedClose closedOn closeNote dealClass grade
  stage { code name kind } owner { username }
  amount { amount currency } amountBu { amount currency } amountGroup { amount currency }
  conversion { date buCurrency buRate groupCurrency groupRate groupRateDate complete }
  closeReason { code kind } account { id localCode }
  products { materialId quantity material { code } }
}
"""
CREATE = (
    DEAL
    + """
mutation($name: String!, $account: ID!, $amount: Decimal, $currency: String,
         $close: Date, $products: [DealProductInput!], $owner: ID) {
  opportunityCreate(name: $name, account: $account, amount: $amount, currency: $currency,
                    expectedClose: $close, products: $products, owner: $owner,
                    dealClass: NEW_BUSINESS, grade: B) {
    errors { field code message } opportunity { ...D } } }
"""
)
ONE = DEAL + "query($id: ID!) { opportunity(id: $id) { ...D } }"
UPDATE = (
    DEAL
    + """
mutation($id: ID!, $amount: Decimal, $close: Date, $reason: String) {
  opportunityUpdate(id: $id, amount: $amount, expectedClose: $close, reason: $reason) {
    errors { field code } opportunity { ...D } } }
"""
)
ADVANCE = (
    DEAL
    + """
mutation($id: ID!, $to: String!, $reason: String) {
  opportunityAdvance(id: $id, toStage: $to, reason: $reason) {
    errors { field code message } blockedStage missing opportunity { ...D } } }
"""
)
APPROVE = """
mutation($id: ID!, $stage: String!) {
  opportunityApproveStage(id: $id, stage: $stage, note: "Preis freigegeben") {
    errors { field code } opportunity { id } } }
"""
CLOSE = (
    DEAL
    + """
mutation($id: ID!, $outcome: CloseKind!, $reason: String!) {
  opportunityClose(id: $id, outcome: $outcome, closeReason: $reason, note: "Vertrag da") {
    errors { field code } blockedStage missing opportunity { ...D } } }
"""
)
REOPEN = (
    DEAL
    + """
mutation($id: ID!) { opportunityReopen(id: $id, reason: "Kunde will doch") {
  errors { field code } opportunity { ...D } } }
"""
)
PRODUCTS = (
    DEAL
    + """
mutation($id: ID!, $products: [DealProductInput!]!) {
  opportunityProductsSet(id: $id, products: $products) {
    errors { field code } opportunity { ...D } } }
"""
)
LIST = """
query($filter: OpportunityFilter, $order: OpportunityOrder) {
  opportunities(first: 50, filter: $filter, orderBy: $order) {
    totalCount edges { node { id name stage { code } } } } }
"""
EVENTS = """
query($id: ID!) { opportunity(id: $id) { events { kind fromStage toStage actor reason } } }
"""

SALES, MANAGER = "acme.de.sales", "acme.de.manager"


def gid(deal: Opportunity) -> str:
    return to_global_id("Opportunity", deal.pk)


def account_id(user: str = SALES) -> str:
    return to_global_id("Account", make_account(access_of(user)).pk)


def material_gid(code: str) -> str:
    return to_global_id("Material", Material.objects.get(code=code).pk)


@pytest.fixture
def eu(settings: Any, world: Any) -> Any:
    settings.REGION = "eu"
    return world


def test_create_converts_the_amount_at_the_expected_close_dates_rate(eu: Any, graphql: Any) -> None:
    reply = graphql(
        CREATE,
        {
            "name": "Bildschirme für Köln",
            "account": account_id(),
            "amount": "1000.05",
            "close": eu.today.isoformat(),
            "products": [{"material": material_gid("M-001"), "quantity": "12.5"}],
        },
        bu="acme.de",
        as_=SALES,
    )
    payload = reply.data["opportunityCreate"]
    assert payload["errors"] == [], payload
    deal = payload["opportunity"]
    assert deal["stage"] == {"code": "qualification", "name": "Qualifizierung", "kind": "OPEN"}
    assert (deal["status"], deal["probability"], deal["owner"]) == (
        "OPEN",
        10,
        {"username": SALES},
    )
    assert deal["amount"] == {"amount": "1000.05", "currency": "EUR"}
    assert deal["amountBu"] == {"amount": "1000.05", "currency": "EUR"}
    # EUR -> CNY is the inverse of the fixture's CNY -> EUR 0.128: 7.8125, so 7812.890625,
    # rounded once to fen, half up.
    assert deal["amountGroup"] == {"amount": "7812.89", "currency": "CNY"}
    assert deal["conversion"]["groupRate"] == "7.8125"
    assert deal["conversion"]["buRate"] == "1"
    assert deal["conversion"]["date"] == eu.today.isoformat()
    assert deal["conversion"]["complete"] is True
    assert deal["products"] == [
        {"materialId": material_gid("M-001"), "quantity": "12.500", "material": {"code": "M-001"}}
    ]
    assert (deal["dealClass"], deal["grade"]) == ("NEW_BUSINESS", "B")
    with schema_context("bu_acme_de"):
        stored = Opportunity.objects.get(pk=int(deal["id"] and _pk(deal["id"])))
        assert stored.amount_group == Decimal("7812.89")
        assert OpportunityEvent.objects.filter(opportunity=stored, kind="CREATED").count() == 1


def _pk(global_id: str) -> int:
    return pk_in(global_id)


def test_half_a_fen_rounds_up(eu: Any, graphql: Any) -> None:
    reply = graphql(
        CREATE,
        {
            "name": "Kleinstbetrag",
            "account": account_id(),
            "amount": "0.08",
            "close": eu.today.isoformat(),
        },
        bu="acme.de",
        as_=SALES,
    )
    # 0.08 × 7.8125 = 0.625 -> 0.63
    assert reply.data["opportunityCreate"]["opportunity"]["amountGroup"]["amount"] == "0.63"


def test_named_dates_use_the_rate_on_or_before_them_and_no_rate_leaves_null(
    eu: Any, graphql: Any
) -> None:
    acme_id = eu.acme_id
    ExchangeRate.objects.create(
        group_id=acme_id,
        base="CNY",
        quote="EUR",
        date=datetime.date(2026, 3, 2),
        rate=Decimal("0.125"),
    )
    reply = graphql(
        CREATE,
        {"name": "März", "account": account_id(), "amount": "100", "close": "2026-03-05"},
        bu="acme.de",
        as_=SALES,
    )
    deal = reply.data["opportunityCreate"]["opportunity"]
    assert deal["amountGroup"] == {"amount": "800.00", "currency": "CNY"}
    assert deal["conversion"]["groupRateDate"] == "2026-03-02"
    assert deal["conversion"]["date"] == "2026-03-05"

    # A date without any rate within a week before it: kept, converted amount null.
    moved = graphql(UPDATE, {"id": deal["id"], "close": "2026-06-01"}, bu="acme.de", as_=SALES)
    deal = moved.data["opportunityUpdate"]["opportunity"]
    assert deal["amountGroup"] is None
    assert deal["amountBu"] == {"amount": "100.00", "currency": "EUR"}
    assert deal["conversion"]["groupRate"] is None
    assert deal["conversion"]["complete"] is False

    # Without an expected close date there is nothing to convert at.
    cleared = graphql(UPDATE, {"id": deal["id"], "close": None}, bu="acme.de", as_=SALES)
    deal = cleared.data["opportunityUpdate"]["opportunity"]
    assert deal["amountBu"] is None
    assert deal["conversion"]["date"] is None


def test_a_yen_deal_converts_through_the_group_currency(eu: Any, graphql: Any) -> None:
    reply = graphql(
        CREATE,
        {
            "name": "Yen",
            "account": account_id(),
            "amount": "21050",
            "currency": "jpy",
            "close": eu.today.isoformat(),
        },
        bu="acme.de",
        as_=SALES,
    )
    deal = reply.data["opportunityCreate"]["opportunity"]
    assert deal["amount"] == {"amount": "21050", "currency": "JPY"}
    # 21050 JPY = 1000 CNY (CNY -> JPY 21.05) = 128 EUR (CNY -> EUR 0.128)
    assert deal["amountGroup"] == {"amount": "1000.00", "currency": "CNY"}
    assert deal["amountBu"] == {"amount": "128.00", "currency": "EUR"}


def test_bad_input_is_refused_and_changes_nothing(eu: Any, graphql: Any) -> None:
    account = account_id()
    with schema_context("bu_acme_de"):
        before = Opportunity.objects.count()

    def create(**variables: Any) -> list[tuple[str, str]]:
        reply = graphql(
            CREATE, {"name": "X", "account": account, **variables}, bu="acme.de", as_=SALES
        )
        return [(e["field"], e["code"]) for e in reply.data["opportunityCreate"]["errors"]]

    assert create(currency="ABC", amount="1") == [("currency", "UNKNOWN_CURRENCY")]
    assert create(amount="-1") == [("amount", "INVALID_ARGUMENT")]
    assert create(amount="1.00001") == [("amount", "INVALID_ARGUMENT")]
    assert create(account="bm90IGFuIGlk") == [("account", "MALFORMED_ID")]
    assert create(account=to_global_id("Customer", 1)) == [("account", "MALFORMED_ID")]
    assert create(account=to_global_id("Account", 999999)) == [("account", "NOT_FOUND")]
    secret = Material.objects.get(code="RIVAL-SECRET")
    assert create(products=[{"material": to_global_id("Material", secret.pk)}]) == [
        ("products", "NOT_FOUND")
    ]
    assert create(products=[{"material": material_gid("M-001"), "quantity": "0"}]) == [
        ("products", "INVALID_ARGUMENT")
    ]
    jp_user = User.objects.get(username="acme.jp.sales")
    assert create(owner=to_global_id("User", jp_user.pk)) == [("owner", "PERMISSION_DENIED")]
    with schema_context("bu_acme_de"):
        assert Opportunity.objects.count() == before

    # A manager may give a deal to someone else, but only to someone of this BU.
    reply = graphql(
        CREATE,
        {"name": "X", "account": account, "owner": to_global_id("User", jp_user.pk)},
        bu="acme.de",
        as_=MANAGER,
    )
    assert [(e["field"], e["code"]) for e in reply.data["opportunityCreate"]["errors"]] == [
        ("owner", "INVALID_ASSIGNEE")
    ]

    reply = graphql(ONE, {"id": "garbage"}, bu="acme.de", as_=SALES)
    assert reply.codes == ["MALFORMED_ID"]
    reply = graphql(ONE, {"id": to_global_id("Lead", 1)}, bu="acme.de", as_=SALES)
    assert reply.codes == ["MALFORMED_ID"]


def _advance(graphql: Any, deal_id: str, to: str, as_: str = SALES) -> dict[str, Any]:
    reply = graphql(ADVANCE, {"id": deal_id, "to": to, "reason": f"to {to}"}, bu="acme.de", as_=as_)
    assert reply.errors == [], reply.errors
    payload: dict[str, Any] = reply.data["opportunityAdvance"]
    return payload


def test_advancing_through_every_gate(eu: Any, graphql: Any) -> None:
    created = graphql(
        CREATE, {"name": "Gates", "account": account_id()}, bu="acme.de", as_=SALES
    ).data["opportunityCreate"]["opportunity"]
    deal_id = created["id"]

    moved = _advance(graphql, deal_id, "needs_analysis")
    assert moved["errors"] == []
    assert moved["opportunity"]["probability"] == 20

    # solution needs a visit or a meeting logged on the deal
    refused = _advance(graphql, deal_id, "solution")
    assert [e["code"] for e in refused["errors"]] == ["STAGE_CONDITIONS_NOT_MET"]
    assert refused["blockedStage"] == "solution"
    assert refused["missing"] == ["activity:VISIT|MEETING"]
    assert refused["opportunity"] is None
    with schema_context("bu_acme_de"):
        deal = Opportunity.objects.get(pk=_pk(deal_id))
        assert deal.stage_code == "needs_analysis"
        log_activity(deal, ActivityKind.CALL)  # a call is not enough
    assert _advance(graphql, deal_id, "solution")["missing"] == ["activity:VISIT|MEETING"]
    with schema_context("bu_acme_de"):
        log_activity(deal, ActivityKind.MEETING)
    assert _advance(graphql, deal_id, "solution")["errors"] == []

    # quote needs an amount, an expected close date and a product
    refused = _advance(graphql, deal_id, "quote")
    assert refused["blockedStage"] == "quote"
    assert refused["missing"] == ["amount", "expected_close", "products"]
    assert refused["errors"][0]["message"].endswith("amount, expected_close, products.")
    graphql(
        UPDATE,
        {"id": deal_id, "amount": "5000", "close": eu.today.isoformat()},
        bu="acme.de",
        as_=SALES,
    )
    assert _advance(graphql, deal_id, "quote")["missing"] == ["products"]
    reply = graphql(
        PRODUCTS,
        {"id": deal_id, "products": [{"material": material_gid("M-002")}]},
        bu="acme.de",
        as_=SALES,
    )
    assert reply.data["opportunityProductsSet"]["errors"] == []
    assert _advance(graphql, deal_id, "quote")["opportunity"]["stage"]["code"] == "quote"

    # Once in quote, a field it requires cannot be cleared, nor every product removed.
    cleared = graphql(UPDATE, {"id": deal_id, "amount": None}, bu="acme.de", as_=SALES)
    assert [(e["field"], e["code"]) for e in cleared.data["opportunityUpdate"]["errors"]] == [
        ("amount", "REQUIRED_FIELD_MISSING")
    ]
    emptied = graphql(PRODUCTS, {"id": deal_id, "products": []}, bu="acme.de", as_=SALES)
    assert emptied.data["opportunityProductsSet"]["errors"][0]["code"] == "REQUIRED_FIELD_MISSING"

    # negotiation needs a manager's approval, which a salesperson cannot give
    assert _advance(graphql, deal_id, "negotiation")["missing"] == ["approval"]
    reply = graphql(APPROVE, {"id": deal_id, "stage": "negotiation"}, bu="acme.de", as_=SALES)
    assert reply.data["opportunityApproveStage"]["errors"][0]["code"] == "PERMISSION_DENIED"
    reply = graphql(APPROVE, {"id": deal_id, "stage": "quote"}, bu="acme.de", as_=MANAGER)
    assert reply.data["opportunityApproveStage"]["errors"][0]["code"] == "INVALID_ARGUMENT"
    reply = graphql(APPROVE, {"id": deal_id, "stage": "negotiation"}, bu="acme.de", as_=MANAGER)
    assert reply.data["opportunityApproveStage"]["errors"] == []
    reply = graphql(APPROVE, {"id": deal_id, "stage": "negotiation"}, bu="acme.de", as_=MANAGER)
    assert reply.data["opportunityApproveStage"]["errors"][0]["code"] == "ALREADY_EXISTS"
    moved = _advance(graphql, deal_id, "negotiation")
    assert moved["opportunity"]["stage"]["code"] == "negotiation"
    assert moved["opportunity"]["probability"] == 80

    # Back to quote and forward again: the approval was used by the first entry.
    assert _advance(graphql, deal_id, "quote")["errors"] == []
    assert _advance(graphql, deal_id, "negotiation")["missing"] == ["approval"]

    events = graphql(EVENTS, {"id": deal_id}, bu="acme.de", as_=SALES).data["opportunity"]
    moves = [(e["kind"], e["fromStage"], e["toStage"]) for e in events["events"]]
    assert moves[0] == ("CREATED", "", "qualification")
    assert ("STAGE", "solution", "quote") in moves
    assert ("APPROVAL", "", "negotiation") in moves
    assert ("STAGE", "negotiation", "quote") in moves
    stage_events = [e for e in events["events"] if e["kind"] == "STAGE"]
    assert stage_events[0]["reason"] == "to needs_analysis"
    assert stage_events[0]["actor"]


def test_skipping_stages_checks_every_stage_passed(eu: Any, graphql: Any) -> None:
    created = graphql(
        CREATE,
        {
            "name": "Skip",
            "account": account_id(),
            "amount": "10",
            "close": eu.today.isoformat(),
            "products": [{"material": material_gid("M-001")}],
        },
        bu="acme.de",
        as_=SALES,
    ).data["opportunityCreate"]["opportunity"]
    # quote's own fields are there, but solution (passed on the way) needs a visit
    refused = _advance(graphql, created["id"], "quote")
    assert refused["blockedStage"] == "solution"
    assert refused["errors"][0]["code"] == "STAGE_CONDITIONS_NOT_MET"
    with schema_context("bu_acme_de"):
        log_activity(Opportunity.objects.get(pk=_pk(created["id"])), ActivityKind.VISIT)
    moved = _advance(graphql, created["id"], "quote")
    assert moved["opportunity"]["stage"]["code"] == "quote"
    # won and lost are not advanced to; the same stage is no move
    assert _advance(graphql, created["id"], "won")["errors"][0]["code"] == "INVALID_STAGE_CHANGE"
    assert _advance(graphql, created["id"], "quote")["errors"][0]["code"] == "INVALID_STAGE_CHANGE"
    assert _advance(graphql, created["id"], "nowhere")["errors"][0]["code"] == "NOT_FOUND"


def test_custom_fields_and_bu_requirements_gate_their_stage(eu: Any, graphql: Any) -> None:
    with schema_context("bu_acme_de"):
        FieldDefinition.objects.create(
            record_type="opportunity",
            code="tender_no",
            label="Tender number",
            kind="TEXT",
            required_from_stage="needs_analysis",
        )
        FieldRequirement.objects.create(
            record_type="opportunity", field="grade", from_stage="needs_analysis"
        )
    deal = make_deal(stage="qualification")
    with schema_context("bu_acme_de"):
        Opportunity.objects.filter(pk=deal.pk).update(grade="")
    refused = _advance(graphql, gid(deal), "needs_analysis")
    assert refused["blockedStage"] == "needs_analysis"
    assert refused["missing"] == ["grade", "customFields.tender_no"]


def test_closing_won_and_lost_with_reasons_and_reopening(eu: Any, graphql: Any) -> None:
    deal = make_deal(stage="negotiation")
    deal_id = gid(deal)

    def close(outcome: str, reason: str, as_: str = SALES) -> dict[str, Any]:
        reply = graphql(
            CLOSE, {"id": deal_id, "outcome": outcome, "reason": reason}, bu="acme.de", as_=as_
        )
        payload: dict[str, Any] = reply.data["opportunityClose"]
        return payload

    assert [(e["field"], e["code"]) for e in close("WON", "COMPETITOR")["errors"]] == [
        ("closeReason", "INVALID_ARGUMENT")
    ]
    assert close("WON", "NOPE")["errors"][0]["code"] == "INVALID_ARGUMENT"
    assert close("WON", "")["errors"][0]["code"] == "REQUIRED_FIELD_MISSING"
    won = close("WON", "PRICE")
    assert won["errors"] == []
    closed = won["opportunity"]
    assert (closed["status"], closed["probability"], closed["stage"]["code"]) == ("WON", 100, "won")
    assert closed["closeReason"] == {"code": "PRICE", "kind": "WON"}
    assert closed["closeNote"] == "Vertrag da"
    assert closed["closedOn"] == eu.today.isoformat()
    assert closed["conversion"]["date"] == eu.today.isoformat()

    # A closed deal cannot be changed until a manager reopens it.
    reply = graphql(UPDATE, {"id": deal_id, "amount": "1"}, bu="acme.de", as_=SALES)
    assert reply.data["opportunityUpdate"]["errors"][0]["code"] == "RECORD_CLOSED"
    assert _advance(graphql, deal_id, "quote")["errors"][0]["code"] == "RECORD_CLOSED"
    assert close("LOST", "PRICE")["errors"][0]["code"] == "RECORD_CLOSED"
    reply = graphql(REOPEN, {"id": deal_id}, bu="acme.de", as_=SALES)
    assert reply.data["opportunityReopen"]["errors"][0]["code"] == "PERMISSION_DENIED"
    reply = graphql(REOPEN, {"id": deal_id}, bu="acme.de", as_=MANAGER)
    reopened = reply.data["opportunityReopen"]["opportunity"]
    assert (reopened["status"], reopened["stage"]["code"], reopened["closedOn"]) == (
        "OPEN",
        "negotiation",
        None,
    )
    assert reopened["closeReason"] is None
    assert reopened["probability"] == 80

    # Lost from any stage; won only through the gates still ahead.
    early = make_deal(stage="qualification")
    reply = graphql(
        CLOSE, {"id": gid(early), "outcome": "WON", "reason": "PRICE"}, bu="acme.de", as_=SALES
    )
    assert reply.data["opportunityClose"]["errors"][0]["code"] == "STAGE_CONDITIONS_NOT_MET"
    assert reply.data["opportunityClose"]["blockedStage"] == "solution"
    reply = graphql(
        CLOSE, {"id": gid(early), "outcome": "LOST", "reason": "NO_BUDGET"}, bu="acme.de", as_=SALES
    )
    lost = reply.data["opportunityClose"]["opportunity"]
    assert (lost["status"], lost["probability"], lost["closeReason"]["code"]) == (
        "LOST",
        0,
        "NO_BUDGET",
    )
    events = graphql(EVENTS, {"id": deal_id}, bu="acme.de", as_=SALES).data["opportunity"]
    kinds = [(e["kind"], e["fromStage"], e["toStage"]) for e in events["events"]]
    assert ("CLOSED", "negotiation", "won") in kinds
    assert ("REOPENED", "won", "negotiation") in kinds


def test_other_business_units_and_groups_see_nothing(eu: Any, graphql: Any, settings: Any) -> None:
    deal = make_deal(stage="quote")
    manager_deal = make_deal(stage="qualification", as_=MANAGER)
    mine = graphql(LIST, {}, bu="acme.de", as_=SALES).data["opportunities"]
    names = {edge["node"]["name"] for edge in mine["edges"]}
    assert deal.name in names
    assert manager_deal.name not in names
    # own scope: the manager's deal does not exist for the salesperson
    reply = graphql(ONE, {"id": gid(manager_deal)}, bu="acme.de", as_=SALES)
    assert reply.codes == ["NOT_FOUND"]
    reply = graphql(UPDATE, {"id": gid(manager_deal), "amount": "1"}, bu="acme.de", as_=SALES)
    assert reply.data["opportunityUpdate"]["errors"][0]["code"] == "NOT_FOUND"

    settings.REGION = "ap"
    reply = graphql(LIST, {}, bu="acme.jp", as_="acme.jp.sales")
    assert reply.data["opportunities"]["totalCount"] == 0
    reply = graphql(ONE, {"id": gid(deal)}, bu="acme.jp", as_="acme.jp.sales")
    assert reply.codes == ["NOT_FOUND"]
    settings.REGION = "cn"
    reply = graphql(LIST, {}, bu="rival.main", as_="rival.admin")
    assert reply.data["opportunities"]["totalCount"] == 0
    reply = graphql(ONE, {"id": gid(deal)}, bu="rival.main", as_="rival.admin")
    assert reply.codes == ["NOT_FOUND"]
    # acme.de's data is not reachable from acme.de as someone of another group either
    settings.REGION = "eu"
    reply = graphql(LIST, {}, bu="acme.de", as_="rival.admin")
    assert reply.data is None or not reply.data.get("opportunities")


def test_director_reads_but_cannot_edit_and_legal_sees_negotiation_only(
    eu: Any, graphql: Any
) -> None:
    in_negotiation = make_deal(stage="negotiation")
    in_quote = make_deal(stage="quote")
    reply = graphql(ONE, {"id": gid(in_quote)}, bu="acme.de", as_="acme.director")
    assert reply.errors == []
    assert reply.data["opportunity"]["name"] == in_quote.name
    reply = graphql(UPDATE, {"id": gid(in_quote), "amount": "1"}, bu="acme.de", as_="acme.director")
    assert reply.data["opportunityUpdate"]["errors"][0]["code"] == "PERMISSION_DENIED"
    reply = graphql(
        ADVANCE, {"id": gid(in_quote), "to": "needs_analysis"}, bu="acme.de", as_="acme.director"
    )
    assert reply.data["opportunityAdvance"]["errors"][0]["code"] == "PERMISSION_DENIED"

    legal = graphql(LIST, {}, bu="acme.de", as_="acme.de.legal").data["opportunities"]
    stages = {edge["node"]["stage"]["code"] for edge in legal["edges"]}
    names = {edge["node"]["name"] for edge in legal["edges"]}
    assert stages == {"negotiation"}
    assert in_negotiation.name in names
    assert in_quote.name not in names
    reply = graphql(ONE, {"id": gid(in_quote)}, bu="acme.de", as_="acme.de.legal")
    assert reply.codes == ["NOT_FOUND"]


def test_filters_and_ordering(eu: Any, graphql: Any) -> None:
    today = eu.today
    early = make_deal(stage="qualification", amount="10", expected_close=today)
    late = make_deal(stage="quote", amount="99", expected_close=today + datetime.timedelta(days=1))

    def names(filter: dict[str, Any], order: dict[str, Any] | None = None) -> list[str]:
        reply = graphql(LIST, {"filter": filter, "order": order}, bu="acme.de", as_=MANAGER)
        assert reply.errors == [], reply.errors
        return [edge["node"]["name"] for edge in reply.data["opportunities"]["edges"]]

    assert late.name in names({"stage": ["quote"]})
    assert early.name not in names({"stage": ["quote"]})
    assert early.name in names({"status": ["OPEN"]})
    found = names({"expectedCloseFrom": (today + datetime.timedelta(days=1)).isoformat()})
    assert late.name in found
    assert early.name not in found
    assert early.name in names(
        {"ownerIsMe": False, "owner": to_global_id("User", User.objects.get(username=SALES).pk)}
    )
    assert names({"ownerIsMe": True}) == []
    assert early.name in names({"grade": [], "dealClass": []})
    ordered = names({}, {"field": "AMOUNT_GROUP", "descending": True})
    assert ordered.index(late.name) < ordered.index(early.name)
    reply = graphql(LIST, {"filter": {"account": "nonsense"}}, bu="acme.de", as_=MANAGER)
    assert reply.codes == ["MALFORMED_ID"]


def test_helpers_deal_for_others(eu: Any) -> None:
    deal = make_deal(stage="won", amount="5")
    assert (deal.status, deal.stage_code, deal.probability) == ("WON", "won", 100)
    assert material_ids(access_of(SALES), 2)


RENAME = """
mutation($id: ID!, $name: String, $grade: DealGrade) {
  opportunityUpdate(id: $id, name: $name, grade: $grade) { errors { field code } } }
"""


def test_a_requirement_added_later_blocks_only_clearing_that_field(eu: Any, graphql: Any) -> None:
    deal = make_deal(stage="quote")
    with schema_context("bu_acme_de"):
        FieldRequirement.objects.create(record_type="opportunity", field="grade", from_stage="")
        FieldRequirement.objects.create(
            record_type="opportunity", field="deal_class", from_stage="solution"
        )
    reply = graphql(RENAME, {"id": gid(deal), "name": "Neuer Name"}, bu="acme.de", as_=SALES)
    assert reply.data["opportunityUpdate"]["errors"] == []
    reply = graphql(RENAME, {"id": gid(deal), "grade": "A"}, bu="acme.de", as_=SALES)
    assert reply.data["opportunityUpdate"]["errors"] == []
    reply = graphql(RENAME, {"id": gid(deal), "grade": None}, bu="acme.de", as_=SALES)
    assert reply.data["opportunityUpdate"]["errors"] == [
        {"field": "grade", "code": "REQUIRED_FIELD_MISSING"}
    ]
    with schema_context("bu_acme_de"):
        assert Opportunity.objects.get(pk=deal.pk).grade == "A"


def test_a_required_field_is_named_as_the_api_names_it(eu: Any, graphql: Any) -> None:
    with schema_context("bu_acme_de"):
        FieldRequirement.objects.create(
            record_type="opportunity", field="expected_close", from_stage=""
        )
    reply = graphql(
        CREATE, {"name": "Ohne Datum", "account": account_id()}, bu="acme.de", as_=SALES
    )
    assert reply.data["opportunityCreate"]["errors"][0]["field"] == "expectedClose"
    assert reply.data["opportunityCreate"]["errors"][0]["code"] == "REQUIRED_FIELD_MISSING"
