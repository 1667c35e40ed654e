"""RFM segments of a BU's customers: exact scores by quintile of rank (ties sharing their middle
rank), named segments translated, the salesperson's own customers, bad input as typed errors,
and nothing of another BU or group."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.tenants.insights.common import months_before
from crm.tenants.insights.rfm import Segment, compute_rfm, segment_of
from crm.tests.insights.helpers import account_of, holder, order, payment
from crm.tests.ledger.helpers import DE, days_ago, gid
from crm.tests.relationships.helpers import business_unit

RFM = """query($asOf: Date, $months: Int, $first: Int!, $after: String,
               $segment: RfmSegmentCode, $account: ID) {
  rfmSegments(asOf: $asOf, months: $months) {
    asOf months windowStart currency customerCount
    segments { segment name customers share orders monetary { amount currency }
               averageRecencyDays averageOrders averageMonetary { amount } }
    grid { recency frequency segment customers }
    customers(first: $first, after: $after, segment: $segment, account: $account) {
      totalCount endCursor hasNextPage
      rows { account { id localCode } lastOrder recencyDays orders monetary { amount currency }
             recencyScore frequencyScore monetaryScore score segment segmentName } } } }"""


def ask(graphql, username="acme.de.manager", bu="acme.de", language=None, **variables):
    variables.setdefault("first", 50)
    return graphql(RFM, variables, bu=bu, as_=username, language=language)


@pytest.fixture
def customers(world, settings):
    """Five customers of the German BU, one per quintile of each measure (see each line);
    A and B are looked after by acme.de.sales, the others by the manager."""
    settings.REGION = "eu"
    with schema_context(DE):
        a = account_of("acme.de.sales")  # last 2 days ago, 6 orders, paid 6000: R5 F5 M5
        b = account_of("acme.de.sales")  # last 20 days ago, 1 order, paid 100: R4 F2 M2
        c = account_of("acme.de.manager")  # 60 days, 4 orders, 4000: R3 F4 M4
        dd = account_of("acme.de.manager")  # 200 days, 3 orders, 3000: R2 F3 M3
        e = account_of("acme.de.manager")  # 500 days (outside the window), nothing: R1 F1 M1
        for days in (2, 10, 20, 30, 40, 50):
            order(a, days_ago(days))
        payment(a, days_ago(5), "6000.00")
        order(b, days_ago(20))
        payment(b, days_ago(20), "100.00")
        payment(b, days_ago(400), "999.00")  # before the window
        for days in (60, 90, 120, 150):
            order(c, days_ago(days))
        payment(c, days_ago(61), "4000.00")
        for days in (200, 250, 300):
            order(dd, days_ago(days))
        payment(dd, days_ago(210), "1000.00")
        payment(dd, days_ago(220), "2000.00")
        order(e, days_ago(500))
        # Not orders of the RFM: not confirmed yet, cancelled.
        order(e, days_ago(1), confirmed=False)
        order(e, days_ago(3), status="CANCELLED", cancelled_on=days_ago(2))
    return {"A": a, "B": b, "C": c, "D": dd, "E": e}


def _scores(rows):
    return {row["account"]["localCode"]: row["score"] for row in rows}


def test_every_customer_scored_by_quintile_and_named(graphql, customers):
    reply = ask(graphql)
    assert reply.errors == []
    found = reply.data["rfmSegments"]
    assert found["asOf"] == days_ago(0).isoformat()
    assert found["months"] == 12
    assert found["windowStart"] == months_before(days_ago(0), 12).isoformat()
    assert found["currency"] == "CNY"
    assert found["customerCount"] == 5
    rows = found["customers"]["rows"]
    local = {name: account.local_code for name, account in customers.items()}
    assert _scores(rows) == {
        local["A"]: "555",
        local["B"]: "422",
        local["C"]: "344",
        local["D"]: "233",
        local["E"]: "111",
    }
    by_code = {row["account"]["localCode"]: row for row in rows}
    a = by_code[local["A"]]
    assert (a["recencyDays"], a["orders"], a["monetary"]) == (
        2,
        6,
        {"amount": "6000.00", "currency": "CNY"},
    )
    assert a["lastOrder"] == days_ago(2).isoformat()
    assert a["account"]["id"] == gid("Account", customers["A"])
    assert by_code[local["E"]]["orders"] == 0  # its only order is before the window
    assert by_code[local["B"]]["monetary"]["amount"] == "100.00"  # not the older payment
    # In the order of the segment codes, champions first.
    assert [row["segment"] for row in rows] == [
        "CHAMPIONS",
        "LOYAL",
        "POTENTIAL_LOYALISTS",
        "AT_RISK",
        "LOST",
    ]
    assert rows[0]["segmentName"] == "Champions"
    segments = {s["segment"]: s for s in found["segments"]}
    assert list(segments) == [segment.value for segment in Segment]  # every one, empty too
    assert segments["LOYAL"]["customers"] == 1
    assert segments["LOYAL"]["share"] == "0.2000"
    assert segments["LOYAL"]["orders"] == 4
    assert segments["LOYAL"]["monetary"] == {"amount": "4000.00", "currency": "CNY"}
    assert segments["LOYAL"]["averageRecencyDays"] == "60.0"
    assert segments["NEW"]["customers"] == 0
    assert segments["NEW"]["averageRecencyDays"] is None
    assert segments["NEW"]["averageMonetary"] is None
    grid = {(cell["recency"], cell["frequency"]): cell for cell in found["grid"]}
    assert len(grid) == 25
    assert grid[(5, 5)] == {"recency": 5, "frequency": 5, "segment": "CHAMPIONS", "customers": 1}
    assert grid[(2, 3)]["segment"] == "AT_RISK"
    assert sum(cell["customers"] for cell in found["grid"]) == 5


def test_segment_names_in_the_callers_language(graphql, customers):
    reply = ask(graphql, language="ja", segment="AT_RISK")
    assert reply.errors == []
    segments = {s["segment"]: s["name"] for s in reply.data["rfmSegments"]["segments"]}
    with translation.override("ja"):
        assert segments == {segment.value: str(segment.label) for segment in Segment}
    (row,) = reply.data["rfmSegments"]["customers"]["rows"]
    assert row["segmentName"] == segments["AT_RISK"]


def test_pages_segments_and_one_account(graphql, customers):
    first = ask(graphql, first=2)
    page = first.data["rfmSegments"]["customers"]
    assert (page["totalCount"], page["hasNextPage"], len(page["rows"])) == (5, True, 2)
    rest = ask(graphql, first=10, after=page["endCursor"])
    following = rest.data["rfmSegments"]["customers"]
    assert following["hasNextPage"] is False
    assert len(following["rows"]) == 3
    at_risk = ask(graphql, segment="AT_RISK").data["rfmSegments"]["customers"]
    assert [row["score"] for row in at_risk["rows"]] == ["233"]
    one = ask(graphql, account=gid("Account", customers["B"]))
    rows = one.data["rfmSegments"]["customers"]["rows"]
    assert [row["score"] for row in rows] == ["422"]  # scored among all five
    assert one.data["rfmSegments"]["customerCount"] == 5


def test_the_sql_of_a_page_does_not_grow_with_its_size(graphql, customers):
    """The scores are one statement; a page's accounts load in one batch, whatever its size."""
    ask(graphql, first=2)  # warm: the caller's policy and the query document are cached
    counts = []
    for first in (1, 5):
        with CaptureQueriesContext(connection) as queries:
            reply = ask(graphql, first=first)
        assert reply.errors == []
        assert len(reply.data["rfmSegments"]["customers"]["rows"]) == first
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_ties_share_the_score_of_their_middle_rank(world):
    with schema_context(DE):
        for _ in range(3):
            account = account_of()
            order(account, days_ago(10))
            payment(account, days_ago(10), "50.00")
        scores = compute_rfm(business_unit("acme.de"), as_of=days_ago(0))
    assert {(c.recency, c.frequency_score, c.monetary_score) for c in scores.customers} == {
        (3, 3, 3)
    }
    assert {c.segment for c in scores.customers} == {Segment.NEED_ATTENTION}


def test_an_earlier_date_and_window(customers):
    """As of 45 days ago over 3 months: what was ordered after that day is not there yet, and
    an order cancelled after it still counted then."""
    with schema_context(DE):
        order(customers["E"], days_ago(46), status="CANCELLED", cancelled_on=days_ago(40))
        found = compute_rfm(business_unit("acme.de"), as_of=days_ago(45), months=3)
    assert found.window_start == months_before(days_ago(45), 3)
    by_account = {c.account_id: c for c in found.customers}
    assert customers["B"].pk not in by_account  # its only order is 20 days ago
    figures = {
        name: (by_account[account.pk].recency_days, by_account[account.pk].frequency)
        for name, account in customers.items()
        if name != "B"
    }
    assert figures == {"A": (5, 1), "C": (15, 3), "D": (155, 0), "E": (1, 1)}


def test_the_grid_names_every_cell():
    assert segment_of(5, 5) is Segment.CHAMPIONS
    assert segment_of(5, 1) is Segment.NEW
    assert segment_of(4, 1) is Segment.PROMISING
    assert segment_of(3, 3) is Segment.NEED_ATTENTION
    assert segment_of(3, 1) is Segment.ABOUT_TO_SLEEP
    assert segment_of(1, 5) is Segment.CANNOT_LOSE
    assert segment_of(2, 1) is Segment.HIBERNATING
    assert segment_of(1, 2) is Segment.LOST
    assert {segment_of(r, f) for r in range(1, 6) for f in range(1, 6)} == set(Segment)


def test_a_salesperson_sees_the_customers_they_look_after(graphql, customers):
    reply = ask(graphql, "acme.de.sales")
    assert reply.errors == []
    found = reply.data["rfmSegments"]
    assert found["customerCount"] == 2
    codes = {row["account"]["localCode"] for row in found["customers"]["rows"]}
    assert codes == {customers["A"].local_code, customers["B"].local_code}
    # Scored among their own customers: A is the better of two.
    assert _scores(found["customers"]["rows"])[customers["A"].local_code] == "444"


def test_finance_sees_them_and_others_are_refused(graphql, customers):
    assert ask(graphql, "acme.de.finance").data["rfmSegments"]["customerCount"] == 5
    for username in ("acme.de.legal", holder("delivery", "acme.de")):
        reply = ask(graphql, username)
        assert reply.codes == ["PERMISSION_DENIED"], username
        assert reply.data is None


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"asOf": "2999-01-01"}, "INVALID_ARGUMENT", "asOf"),
        ({"asOf": "0001-01-01"}, "INVALID_ARGUMENT", "asOf"),
        ({"months": 0}, "INVALID_ARGUMENT", "months"),
        ({"months": 121}, "INVALID_ARGUMENT", "months"),
        ({"account": "not-an-id"}, "MALFORMED_ID", "account"),
        ({"account": to_global_id("Order", "1")}, "MALFORMED_ID", "account"),
        ({"after": "garbage"}, "INVALID_CURSOR", "after"),
        ({"first": 10_000}, "PAGE_SIZE_TOO_LARGE", "first"),
        ({"first": -1}, "INVALID_ARGUMENT", "first"),
    ],
)
def test_bad_input_is_a_typed_error(graphql, customers, variables, code, field):
    reply = ask(graphql, **variables)
    assert reply.codes == [code]
    assert reply.errors[0]["extensions"]["field"] == field


def test_a_date_that_is_no_date_is_refused_before_anything_runs(graphql, customers):
    reply = ask(graphql, asOf="2026-02-30")
    assert reply.data is None
    assert "asOf" in reply.errors[0]["message"]


def test_an_account_of_another_business_unit_is_not_found(graphql, customers):
    with schema_context(DE):
        other = to_global_id("Account", f"{business_unit('acme.jp').pk}.{customers['A'].pk}")
    reply = ask(graphql, account=other)
    assert reply.codes == ["NOT_FOUND"]


def test_another_business_unit_or_group_sees_nothing_of_them(graphql, customers, settings):
    settings.REGION = "ap"
    reply = ask(graphql, holder("finance", "acme.jp"), bu="acme.jp")
    assert reply.errors == []
    assert reply.data["rfmSegments"]["customerCount"] == 0
    assert reply.data["rfmSegments"]["customers"]["rows"] == []
    settings.REGION = "cn"
    reply = ask(graphql, "rival.admin", bu="rival.main")
    assert reply.errors == []
    assert reply.data["rfmSegments"]["customerCount"] == 0
    assert reply.data["rfmSegments"]["currency"] == "USD"


def test_a_window_in_months_keeps_the_day():
    assert months_before(datetime.date(2026, 3, 31), 1) == datetime.date(2026, 2, 28)
    assert months_before(datetime.date(2026, 1, 15), 12) == datetime.date(2025, 1, 15)
    assert months_before(datetime.date(2024, 2, 29), 12) == datetime.date(2023, 2, 28)
    assert months_before(datetime.date(2026, 1, 31), 2) == datetime.date(2025, 11, 30)
