"""Quotes through the API: a German (EUR) and a Japanese (JPY) quote priced from the price lists
with the conversion shown, taxed per line, rounded per line then summed; versions; validity;
discounts within the sales policy or approved; margin hidden from front-end sales; isolation."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.masterdata.models import Material
from crm.tenants.quotes.models import Quote, QuoteLine, QuoteStatus
from crm.tests.fixtures.world import CNY_TO_EUR, CNY_TO_JPY
from crm.tests.opportunities.helpers import access_of, make_deal
from crm.tests.quotes.helpers import limit, make_quote, material, person, schema, standard_taxes

SALES, MANAGER = "acme.de.sales", "acme.de.manager"

QUOTE = """
fragment Q on Quote {
  id number version isCurrent status currency language quoteDate validUntil headerDiscount
  netTotal { amount currency } taxTotal { amount currency } grossTotal { amount currency }
  maxDiscount approvedDiscount document { url language }
  lines {
    position materialCode quantity discount effectiveDiscount
    unitPrice { amount currency } listAmount { amount }
    priceSource { priceList listPrice { amount currency } breakFrom
                  conversion { rate rateDate rateType source { amount currency }
                               result { amount currency } } }
    net { amount } tax { code rate amount { amount } } gross { amount }
  }
}
"""
CREATE = (
    QUOTE
    + """
mutation($deal: ID!, $lines: [QuoteLineItemInput!], $discount: Decimal, $date: Date, $until: Date,
         $currency: String) {
  quoteCreate(opportunity: $deal, lines: $lines, headerDiscount: $discount, quoteDate: $date,
              validUntil: $until, currency: $currency) {
    errors { field code message } quote { ...Q } } }
"""
)
ONE = QUOTE + "query($id: ID!) { quote(id: $id) { ...Q } }"
SEND = """mutation($id: ID!) { quoteSend(id: $id) {
  errors { field code message } quote { status } } }"""
ACCEPT = """mutation($id: ID!) { quoteAccept(id: $id) {
  errors { field code message } quote { status } } }"""
LINES = """mutation($id: ID!, $lines: [QuoteLineItemInput!]!) {
  quoteLinesSet(id: $id, lines: $lines) {
  errors { field code } quote { maxDiscount lines { materialCode discount } } } }"""
REQUEST = """mutation($id: ID!) { quoteRequestApproval(id: $id, comment: "Großkunde") {
  errors { field code } quote { status } } }"""
DECIDE = """mutation($id: ID!, $ok: Boolean!) {
  quoteDecideDiscount(id: $id, approve: $ok, comment: "ok") {
    errors { field code message } quote { status approvedDiscount
      approvals { kind discount actor comment } } } }"""


@pytest.fixture
def eu(settings: Any, world: Any) -> Any:
    settings.REGION = "eu"
    return world


@pytest.fixture
def ap(settings: Any, world: Any) -> Any:
    settings.REGION = "ap"
    return world


def mat(code: str) -> str:
    return to_global_id("Material", material(code).pk)


def deal_id(deal: Any) -> str:
    return to_global_id("Opportunity", deal.pk)


def qid(quote: Quote) -> str:
    return to_global_id("Quote", quote.pk)


def create(graphql: Any, deal: Any, lines: list[dict[str, Any]], bu: str, as_: str, **more: Any):
    reply = graphql(
        CREATE, {"deal": deal_id(deal), "lines": lines, **more}, bu=f"acme.{bu}", as_=as_
    )
    assert reply.errors == [], reply.errors
    return reply.data["quoteCreate"]


def test_a_german_quote_is_priced_converted_taxed_and_rounded_line_by_line(eu, graphql):
    standard_taxes("de")
    deal = make_deal()
    lines = [
        {"material": mat("M-001"), "quantity": "3", "discount": "5"},
        # Not on the EU list: the group's CNY price, converted at today's spot rate.
        {"material": mat("M-031"), "quantity": "7"},
        {"material": mat("M-002"), "quantity": "2.5", "discount": "12.5"},
    ]
    result = create(graphql, deal, lines, "de", SALES)
    assert result["errors"] == []
    quote = result["quote"]
    assert quote["status"] == "DRAFT"
    assert quote["currency"] == "EUR"
    assert quote["number"].startswith("Q-")
    assert quote["version"] == 1
    assert quote["isCurrent"]
    assert quote["language"] == "de"  # the customer is in Germany
    first, converted, third = quote["lines"]
    # M-001 from the EU region list (10.50 + 1), no conversion.
    assert first["unitPrice"] == {"amount": "11.50", "currency": "EUR"}
    assert first["priceSource"]["priceList"] == "EU"
    assert first["priceSource"]["conversion"] is None
    assert first["net"]["amount"] == "32.78"  # 34.50 less 5 % = 32.775, half up
    assert first["tax"] == {"code": "standard", "rate": "19.000", "amount": {"amount": "6.23"}}
    assert first["gross"]["amount"] == "39.01"
    # M-031: 131.37 CNY × 0.128 = 16.81536 → 16.82 EUR, the conversion shown.
    source = converted["priceSource"]
    assert source["priceList"] == "G"
    assert source["listPrice"] == {"amount": "131.37", "currency": "CNY"}
    conversion = source["conversion"]
    assert Decimal(conversion["rate"]) == CNY_TO_EUR
    assert conversion["rateType"] == "SPOT"
    assert conversion["rateDate"] == eu.today.isoformat()
    assert conversion["result"] == {"amount": "16.82", "currency": "EUR"}
    assert converted["unitPrice"]["amount"] == "16.82"
    assert converted["net"]["amount"] == "117.74"
    assert converted["tax"]["amount"]["amount"] == "22.37"  # 22.3706
    assert third["unitPrice"]["amount"] == "12.50"
    assert third["listAmount"]["amount"] == "31.25"
    assert third["net"]["amount"] == "27.34"  # 31.25 × 0.875 = 27.34375
    assert third["tax"]["amount"]["amount"] == "5.19"  # 5.1946
    # Totals are the sums of the rounded lines.
    nets = sum(Decimal(line["net"]["amount"]) for line in quote["lines"])
    taxes = sum(Decimal(line["tax"]["amount"]["amount"]) for line in quote["lines"])
    assert Decimal(quote["netTotal"]["amount"]) == nets == Decimal("177.86")
    assert Decimal(quote["taxTotal"]["amount"]) == taxes == Decimal("33.79")
    assert quote["grossTotal"] == {"amount": "211.65", "currency": "EUR"}
    assert Decimal(quote["maxDiscount"]) == Decimal("12.5")


def test_a_japanese_quote_is_in_whole_yen(ap, graphql):
    standard_taxes("jp")
    deal = make_deal(as_="acme.jp.sales", bu="jp", approver="acme.jp.sales")
    lines = [
        {"material": mat("M-001"), "quantity": "3"},
        {"material": mat("M-011"), "quantity": "7", "discount": "3.5"},
    ]
    quote = create(graphql, deal, lines, "jp", "acme.jp.sales")["quote"]
    assert quote["currency"] == "JPY"
    own, converted = quote["lines"]
    assert own["unitPrice"] == {"amount": "1000", "currency": "JPY"}
    assert own["priceSource"]["priceList"] == "JP"
    # 111.37 CNY × 21.05 = 2344.3385 → 2344 yen.
    assert Decimal(converted["priceSource"]["conversion"]["rate"]) == CNY_TO_JPY
    assert converted["unitPrice"]["amount"] == "2344"
    assert converted["net"]["amount"] == "15834"  # 16408 × 0.965 = 15833.72
    assert converted["tax"]["amount"]["amount"] == "1583"  # 1583.4
    assert converted["gross"]["amount"] == "17417"
    assert quote["netTotal"]["amount"] == "18834"
    assert quote["taxTotal"]["amount"] == "1883"  # 300 + 1583 (not 10 % of the total: 1883.4)
    assert quote["grossTotal"] == {"amount": "20717", "currency": "JPY"}


def test_a_quote_without_lines_quotes_the_deals_products(eu, graphql):
    standard_taxes("de")
    deal = make_deal()
    reply = graphql(CREATE, {"deal": deal_id(deal)}, bu="acme.de", as_=SALES)
    quote = reply.data["quoteCreate"]["quote"]
    assert [line["materialCode"] for line in quote["lines"]] == ["M-001"]


def test_bad_lines_are_refused_naming_the_line_and_nothing_is_saved(eu, graphql):
    standard_taxes("de")
    deal = make_deal()
    with schema_context(schema()):
        before = Quote.objects.count()
    cases = [
        (
            [{"material": mat("M-NOPRICE"), "quantity": "1"}],
            ("PRICE_NOT_FOUND", "lines.0.material"),
        ),
        (
            [
                {"material": mat("M-001"), "quantity": "1"},
                {"material": mat("M-001"), "quantity": "0"},
            ],
            ("INVALID_ARGUMENT", "lines.1.quantity"),
        ),
        (
            [{"material": mat("M-001"), "quantity": "1", "discount": "100"}],
            ("INVALID_ARGUMENT", "lines.0.discount"),
        ),
        (
            [{"material": mat("M-001"), "quantity": "1", "taxCode": "nope"}],
            ("TAX_RATE_NOT_FOUND", "lines.0.taxCode"),
        ),
        ([], ("INVALID_ARGUMENT", "lines")),
    ]
    secret = Material.objects.get(code="RIVAL-SECRET")
    cases.append(
        (
            [{"material": to_global_id("Material", secret.pk), "quantity": "1"}],
            ("NOT_FOUND", "lines.0.material"),
        )
    )
    for lines, expected in cases:
        reply = graphql(CREATE, {"deal": deal_id(deal), "lines": lines}, bu="acme.de", as_=SALES)
        errors = reply.data["quoteCreate"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [expected], lines
        assert reply.data["quoteCreate"]["quote"] is None
    with schema_context(schema()):
        assert Quote.objects.count() == before


def test_a_closed_deal_gets_no_quote(eu, graphql):
    deal = make_deal(stage="lost")
    reply = graphql(CREATE, {"deal": deal_id(deal)}, bu="acme.de", as_=SALES)
    assert [e["code"] for e in reply.data["quoteCreate"]["errors"]] == ["RECORD_CLOSED"]


def test_the_quote_discount_applies_after_the_line_discount(eu, graphql):
    quote = make_quote(codes=["M-001"], quantities=["10"], discounts=["10"])
    reply = graphql(
        QUOTE + 'mutation($id: ID!) { quoteUpdate(id: $id, headerDiscount: "5") '
        "{ errors { code } quote { ...Q } } }",
        {"id": qid(quote)},
        bu="acme.de",
        as_=SALES,
    )
    updated = reply.data["quoteUpdate"]["quote"]
    line = updated["lines"][0]
    assert Decimal(line["effectiveDiscount"]) == Decimal("14.5")  # 1 - 0.9 × 0.95
    assert line["net"]["amount"] == "98.33"  # 115.00 × 0.855 = 98.325
    assert updated["netTotal"]["amount"] == "98.33"


def test_versions_copy_the_lines_and_older_ones_are_read_only(eu, graphql):
    quote = make_quote(codes=["M-001", "M-002"], quantities=["1", "2"])
    reply = graphql(
        QUOTE + "mutation($id: ID!) { quoteNewVersion(id: $id) { errors { code } quote { ...Q "
        "versions { version isCurrent status } } } }",
        {"id": qid(quote)},
        bu="acme.de",
        as_=SALES,
    )
    second = reply.data["quoteNewVersion"]["quote"]
    assert second["version"] == 2
    assert second["number"] == quote.number
    assert second["isCurrent"]
    assert [line["materialCode"] for line in second["lines"]] == ["M-001", "M-002"]
    assert second["netTotal"] == {
        "amount": str(quote.net_amount.quantize(Decimal("0.01"))),
        "currency": "EUR",
    }
    assert [(v["version"], v["isCurrent"]) for v in second["versions"]] == [(1, False), (2, True)]
    old = graphql(
        LINES,
        {"id": qid(quote), "lines": [{"material": mat("M-003"), "quantity": "1"}]},
        bu="acme.de",
        as_=SALES,
    ).data["quoteLinesSet"]
    assert [e["code"] for e in old["errors"]] == ["RECORD_CLOSED"]
    assert (
        graphql(SEND, {"id": qid(quote)}, bu="acme.de", as_=SALES).data["quoteSend"]["errors"][0][
            "code"
        ]
        == "RECORD_CLOSED"
    )
    with schema_context(schema()):
        assert QuoteLine.objects.filter(quote=quote).count() == 2
        assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT


def test_an_expired_quote_can_be_neither_sent_nor_accepted(eu, graphql):
    today = eu.today
    quote = make_quote(
        quote_date=today - datetime.timedelta(days=2),
        valid_until=today - datetime.timedelta(days=1),
    )
    sent = graphql(SEND, {"id": qid(quote)}, bu="acme.de", as_=SALES).data["quoteSend"]
    assert [e["code"] for e in sent["errors"]] == ["QUOTE_EXPIRED"]
    fresh = make_quote()
    assert graphql(SEND, {"id": qid(fresh)}, bu="acme.de", as_=SALES).data["quoteSend"] == {
        "errors": [],
        "quote": {"status": "SENT"},
    }
    with schema_context(schema()):
        Quote.objects.filter(pk=fresh.pk).update(valid_until=today - datetime.timedelta(days=1))
    accepted = graphql(ACCEPT, {"id": qid(fresh)}, bu="acme.de", as_=SALES).data["quoteAccept"]
    assert [e["code"] for e in accepted["errors"]] == ["QUOTE_EXPIRED"]
    from crm.tenants.quotes.services import expire_quotes

    with schema_context(schema()):
        assert expire_quotes(today) == 2
        assert Quote.objects.get(pk=fresh.pk).status == QuoteStatus.EXPIRED
        assert expire_quotes(today) == 0


def test_a_discount_over_the_policy_needs_an_approval_before_sending_or_accepting(eu, graphql):
    limit("front_sales", "10")
    limit("bu_manager", "20")
    quote = make_quote(codes=["M-001", "M-002"], quantities=["4", "4"], discounts=["0", "15"])
    gid = qid(quote)
    refused = graphql(SEND, {"id": gid}, bu="acme.de", as_=SALES).data["quoteSend"]
    assert [e["code"] for e in refused["errors"]] == ["DISCOUNT_NEEDS_APPROVAL"]
    assert "15" in refused["errors"][0]["message"]
    assert "10" in refused["errors"][0]["message"]
    accepted = graphql(ACCEPT, {"id": gid}, bu="acme.de", as_=SALES).data["quoteAccept"]
    assert [e["code"] for e in accepted["errors"]] == ["DISCOUNT_NEEDS_APPROVAL"]
    with schema_context(schema()):
        assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT
    assert graphql(REQUEST, {"id": gid}, bu="acme.de", as_=SALES).data["quoteRequestApproval"][
        "quote"
    ] == {"status": "AWAITING_APPROVAL"}
    # Waiting: still not sendable, and salespeople do not approve.
    waiting = graphql(SEND, {"id": gid}, bu="acme.de", as_=SALES).data["quoteSend"]
    assert [e["code"] for e in waiting["errors"]] == ["DISCOUNT_NEEDS_APPROVAL"]
    own = graphql(DECIDE, {"id": gid, "ok": True}, bu="acme.de", as_=SALES).data
    assert [e["code"] for e in own["quoteDecideDiscount"]["errors"]] == ["PERMISSION_DENIED"]
    decided = graphql(DECIDE, {"id": gid, "ok": True}, bu="acme.de", as_=MANAGER).data
    result = decided["quoteDecideDiscount"]
    assert result["errors"] == []
    assert result["quote"]["status"] == "DRAFT"
    assert Decimal(result["quote"]["approvedDiscount"]) == Decimal(15)
    assert [a["kind"] for a in result["quote"]["approvals"]] == ["REQUESTED", "APPROVED"]
    assert result["quote"]["approvals"][1]["actor"] == MANAGER
    assert graphql(SEND, {"id": gid}, bu="acme.de", as_=SALES).data["quoteSend"] == {
        "errors": [],
        "quote": {"status": "SENT"},
    }
    assert graphql(ACCEPT, {"id": gid}, bu="acme.de", as_=SALES).data["quoteAccept"] == {
        "errors": [],
        "quote": {"status": "ACCEPTED"},
    }


def test_an_approval_covers_only_the_discount_it_approved(eu, graphql):
    limit("front_sales", "10")
    limit("bu_manager", "20")
    quote = make_quote(codes=["M-001"], quantities=["4"], discounts=["15"])
    gid = qid(quote)
    graphql(REQUEST, {"id": gid}, bu="acme.de", as_=SALES)
    graphql(DECIDE, {"id": gid, "ok": True}, bu="acme.de", as_=MANAGER)
    raised = graphql(
        LINES,
        {"id": gid, "lines": [{"material": mat("M-001"), "quantity": "4", "discount": "18"}]},
        bu="acme.de",
        as_=SALES,
    ).data["quoteLinesSet"]
    assert raised["errors"] == []
    refused = graphql(SEND, {"id": gid}, bu="acme.de", as_=SALES).data["quoteSend"]
    assert [e["code"] for e in refused["errors"]] == ["DISCOUNT_NEEDS_APPROVAL"]


def test_an_approver_needs_a_limit_covering_the_discount(eu, graphql):
    limit("front_sales", "5")
    limit("bu_manager", "12")
    quote = make_quote(codes=["M-001"], quantities=["4"], discounts=["15"])
    gid = qid(quote)
    graphql(REQUEST, {"id": gid}, bu="acme.de", as_=SALES)
    result = graphql(DECIDE, {"id": gid, "ok": True}, bu="acme.de", as_=MANAGER).data[
        "quoteDecideDiscount"
    ]
    assert [e["code"] for e in result["errors"]] == ["NOT_AN_APPROVER"]
    declined = graphql(DECIDE, {"id": gid, "ok": False}, bu="acme.de", as_=MANAGER).data[
        "quoteDecideDiscount"
    ]
    assert declined["errors"] == []
    assert declined["quote"]["status"] == "DRAFT"
    assert declined["quote"]["approvedDiscount"] is None


def test_a_discount_within_the_limit_is_sent_without_approval(eu, graphql):
    limit("front_sales", "10")
    quote = make_quote(codes=["M-001"], quantities=["4"], discounts=["10"])
    sent = graphql(SEND, {"id": qid(quote)}, bu="acme.de", as_=SALES).data["quoteSend"]
    assert sent == {"errors": [], "quote": {"status": "SENT"}}


MARGIN = """query($id: ID!) { quote(id: $id) { margin { amount currency }
  lines { unitCost { amount } margin { amount } net { amount } } } }"""


def test_the_margin_is_hidden_from_front_sales_and_shown_to_managers(eu, graphql):
    Material.objects.filter(code__in=["M-001", "M-031"]).update(standard_cost=Decimal("50"))
    quote = make_quote(codes=["M-001", "M-031"], quantities=["2", "1"])
    seen = graphql(MARGIN, {"id": qid(quote)}, bu="acme.de", as_=MANAGER)
    assert seen.errors == []
    # 50 CNY × 0.128 = 6.40 EUR a piece.
    lines = seen.data["quote"]["lines"]
    assert lines[0]["unitCost"]["amount"] == "6.40"
    assert lines[0]["margin"]["amount"] == "10.20"  # 23.00 − 12.80
    assert lines[1]["margin"]["amount"] == "10.42"  # 16.82 − 6.40
    assert seen.data["quote"]["margin"] == {"amount": "20.62", "currency": "EUR"}
    hidden = graphql(MARGIN, {"id": qid(quote)}, bu="acme.de", as_=SALES)
    assert hidden.data["quote"]["margin"] is None
    assert all(
        line["margin"] is None and line["unitCost"] is None
        for line in hidden.data["quote"]["lines"]
    )
    assert all(line["net"] is not None for line in hidden.data["quote"]["lines"])
    assert set(hidden.codes) == {"FIELD_FORBIDDEN"}


def test_back_end_support_edits_lines_but_not_the_quote(eu, graphql):
    person("acme.de.support", "back_support")
    quote = make_quote()
    gid = qid(quote)
    edited = graphql(
        LINES,
        {"id": gid, "lines": [{"material": mat("M-002"), "quantity": "5"}]},
        bu="acme.de",
        as_="acme.de.support",
    ).data["quoteLinesSet"]
    assert edited["errors"] == []
    assert [line["materialCode"] for line in edited["quote"]["lines"]] == ["M-002"]
    header = graphql(
        'mutation($id: ID!) { quoteUpdate(id: $id, note: "x") { errors { code } } }',
        {"id": gid},
        bu="acme.de",
        as_="acme.de.support",
    ).data["quoteUpdate"]
    assert [e["code"] for e in header["errors"]] == ["PERMISSION_DENIED"]
    send = graphql(SEND, {"id": gid}, bu="acme.de", as_="acme.de.support").data["quoteSend"]
    assert [e["code"] for e in send["errors"]] == ["PERMISSION_DENIED"]


def test_another_business_units_quote_is_not_found(eu, graphql, settings):
    from crm.tenants.models import BusinessUnit

    japanese = make_quote(bu="jp", as_="acme.jp.sales")
    jp = BusinessUnit.objects.get(group__code="acme", code="jp")
    foreign = to_global_id("Quote", f"{jp.pk}.{japanese.pk}")
    reply = graphql(ONE, {"id": foreign}, bu="acme.de", as_=MANAGER)
    assert reply.codes == ["NOT_FOUND"]
    assert reply.data["quote"] is None
    sent = graphql(SEND, {"id": foreign}, bu="acme.de", as_=MANAGER).data["quoteSend"]
    assert [e["code"] for e in sent["errors"]] == ["NOT_FOUND"]


def test_salespeople_see_their_own_quotes_only(eu, graphql):
    mine = make_quote()
    other = make_quote(as_=MANAGER)
    listed = graphql(
        "{ quotes(first: 50) { totalCount edges { node { id number } } } }", bu="acme.de", as_=SALES
    ).data["quotes"]
    numbers = {edge["node"]["number"] for edge in listed["edges"]}
    assert mine.number in numbers
    assert other.number not in numbers
    assert graphql(ONE, {"id": qid(other)}, bu="acme.de", as_=SALES).codes == ["NOT_FOUND"]


def test_the_list_costs_the_same_statements_for_one_quote_or_many(eu, graphql):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    query = QUOTE + "{ quotes(first: 20) { edges { node { ...Q owner { username } } } } }"
    make_quote(codes=["M-001", "M-002"], quantities=["1", "1"], as_=MANAGER)
    assert graphql(query, bu="acme.de", as_=MANAGER).errors == []  # signed in, token used
    with CaptureQueriesContext(connection) as one:
        assert graphql(query, bu="acme.de", as_=MANAGER).errors == []
    for _ in range(3):
        make_quote(codes=["M-001", "M-002", "M-003"], quantities=["1", "1", "1"], as_=MANAGER)
    with CaptureQueriesContext(connection) as many:
        reply = graphql(query, bu="acme.de", as_=MANAGER)
    assert reply.errors == []
    assert len(reply.data["quotes"]["edges"]) >= 4
    assert len(many.captured_queries) == len(one.captured_queries)


def test_pricing_many_lines_takes_a_fixed_number_of_statements(eu):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.tenants.quotes import pricing
    from crm.tests.quotes.helpers import lines

    standard_taxes("de")
    access = access_of(MANAGER)
    counts = []
    for codes in (["M-001", "M-031"], [f"M-{n:03d}" for n in range(1, 41)]):
        inputs = lines(codes, ["1"] * len(codes))
        with schema_context(schema()), CaptureQueriesContext(connection) as captured:
            priced = pricing.price_lines(
                access=access,
                on=eu.today,
                currency="EUR",
                header_discount=Decimal(0),
                inputs=inputs,
            )
        assert len(priced) == len(codes)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_an_export_quote_in_another_currency_converts_each_line_at_the_quote_date(eu, graphql):
    standard_taxes("de")
    deal = make_deal()
    lines = [{"material": mat("M-001"), "quantity": "3"}]
    # The German BU quotes a Japanese buyer in yen: the EU list's 11.50 EUR converted (through
    # the group currency) at today's rates, in whole yen.
    quote = create(graphql, deal, lines, "de", SALES, currency="jpy")["quote"]
    assert quote["currency"] == "JPY"
    (line,) = quote["lines"]
    assert line["priceSource"]["priceList"] == "EU"
    conversion = line["priceSource"]["conversion"]
    assert conversion["source"] == {"amount": "11.50", "currency": "EUR"}
    assert conversion["rateDate"] == eu.today.isoformat()
    expected = (Decimal("11.50") / CNY_TO_EUR * CNY_TO_JPY).quantize(Decimal(1))
    assert Decimal(line["unitPrice"]["amount"]) == expected
    assert line["unitPrice"]["currency"] == "JPY"
    assert (
        Decimal(quote["grossTotal"]["amount"])
        == Decimal(quote["grossTotal"]["amount"]).to_integral()
    )


def test_a_quote_in_an_unknown_currency_is_refused_and_nothing_is_made(eu, graphql):
    deal = make_deal()
    lines = [{"material": mat("M-001"), "quantity": "3"}]
    result = create(graphql, deal, lines, "de", SALES, currency="XYZ")
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("currency", "UNKNOWN_CURRENCY")]
    assert result["quote"] is None
    with schema_context(schema()):
        assert not Quote.objects.exists()
