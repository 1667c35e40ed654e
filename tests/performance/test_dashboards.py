"""Performance against targets and the leaderboard through GraphQL: won revenue in the group
currency at the close date's rate, attainment, ranking with ties; who sees which rows; bad
periods; other BUs' deals never count."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.tests.performance.helpers import (
    DE,
    JP,
    lost,
    make_team,
    member,
    moved_back,
    set_target,
    this_month,
    won,
)
from crm.tests.relationships.helpers import business_unit

RESULTS = "won { amount currency } wonDeals lostDeals winRatePercent withoutGroupAmount"
PERFORMANCE = f"""query($period: PeriodKind!, $start: Date!) {{
  salesPerformance(period: $period, start: $start) {{ period start end code currency
    rows {{ subject user {{ username }} team {{ name }} {RESULTS}
            revenueTarget {{ amount {{ amount currency }} }} dealsTarget {{ dealCount }}
            revenueAttainmentPercent dealsAttainmentPercent }} }} }}"""
LEADERBOARD = f"""query($period: PeriodKind!, $start: Date!, $by: LeaderboardBy, $first: Int) {{
  salesLeaderboard(period: $period, start: $start, by: $by, first: $first) {{ by code currency
    rows {{ rank user {{ username }} team {{ name }} {RESULTS} }} }} }}"""


@pytest.fixture
def eu(settings: Any) -> None:
    settings.REGION = "eu"


@pytest.fixture
def sales_floor(world: Any) -> dict[str, Any]:
    """acme.de: team Nord (acme.de.sales, seller2), team Süd (seller3, seller4); deals closed
    this month; targets for this month."""
    seller2 = member("acme.de.seller2", "front_sales")
    seller3 = member("acme.de.seller3", "front_sales")
    seller4 = member("acme.de.seller4", "front_sales")
    nord = make_team("Nord", ["acme.de.sales", seller2])
    sued = make_team("Süd", [seller3, seller4])
    # 1000 EUR and 200 EUR at 7.8125 CNY/EUR (today's rate): 9375.00 CNY; a USD deal has no rate.
    won("acme.de.sales", "1000.00")
    won("acme.de.sales", "200.00")
    won("acme.de.sales", "50.00", currency="USD")
    won(seller2, "1000.00")
    lost(seller2)
    won(seller4, "1000.00")
    lost(seller3)
    with schema_context(DE):
        set_target("USER", user="acme.de.sales", amount="10000.00")
        set_target("USER", user=seller2, metric="WON_DEALS", count=4)
        set_target("TEAM", team=nord, amount="20000.00")
        set_target("BUSINESS_UNIT", metric="WON_DEALS", count=8)
        # An earlier month's deal and target: not this month's.
        moved_back(won(seller3, "5000.00"), (today() - last_month_end()).days)
        set_target("USER", user=seller3, start=last_month_end().replace(day=1))
    return {"nord": nord, "sued": sued, "sellers": (seller2, seller3, seller4)}


def today() -> datetime.date:
    return business_unit("acme.de").today()


def last_month_end() -> datetime.date:
    return this_month() - datetime.timedelta(days=1)


def this_period() -> dict[str, str]:
    return {"period": "MONTH", "start": this_month().isoformat()}


def rows_by_subject(reply: Any) -> dict[tuple[str, str | None], dict[str, Any]]:
    assert reply.errors == [], reply.errors
    found = {}
    for row in reply.data["salesPerformance"]["rows"]:
        name = (row["user"] or {}).get("username") or (row["team"] or {}).get("name")
        found[(row["subject"], name)] = row
    return found


def test_results_against_targets_as_the_manager(graphql, eu, sales_floor):
    reply = graphql(PERFORMANCE, this_period(), bu="acme.de", as_="acme.de.manager")
    view = reply.data["salesPerformance"]
    assert view["currency"] == "CNY"
    assert view["code"] == this_month().strftime("%Y-%m")
    rows = rows_by_subject(reply)
    seller2, seller3, seller4 = sales_floor["sellers"]
    assert list(rows) == [
        ("BUSINESS_UNIT", None),
        ("TEAM", "Nord"),
        ("TEAM", "Süd"),
        ("USER", "acme.de.manager"),  # the caller: a member of the BU
        ("USER", "acme.de.sales"),
        ("USER", seller2),
        ("USER", seller3),
        ("USER", seller4),
    ]
    sales = rows[("USER", "acme.de.sales")]
    assert sales["won"] == {"amount": "9375.00", "currency": "CNY"}
    assert sales["wonDeals"] == 3
    assert sales["withoutGroupAmount"] == 1  # the USD deal: no rate, not valued
    assert sales["winRatePercent"] == "100.0"
    assert sales["revenueTarget"]["amount"] == {"amount": "10000.00", "currency": "CNY"}
    assert sales["revenueAttainmentPercent"] == "93.8"
    assert sales["dealsAttainmentPercent"] is None
    two = rows[("USER", seller2)]
    assert (two["wonDeals"], two["lostDeals"], two["winRatePercent"]) == (1, 1, "50.0")
    assert two["dealsTarget"] == {"dealCount": 4}
    assert two["dealsAttainmentPercent"] == "25.0"
    assert two["revenueTarget"] is None
    nord = rows[("TEAM", "Nord")]
    assert nord["won"]["amount"] == "17187.50"
    assert nord["revenueAttainmentPercent"] == "85.9"  # 17187.50 of 20000
    sued = rows[("TEAM", "Süd")]
    assert (sued["won"]["amount"], sued["wonDeals"], sued["lostDeals"]) == ("7812.50", 1, 1)
    assert sued["revenueTarget"] is None
    unit = rows[("BUSINESS_UNIT", None)]
    assert unit["won"]["amount"] == "25000.00"
    assert (unit["wonDeals"], unit["lostDeals"], unit["withoutGroupAmount"]) == (5, 2, 1)
    assert unit["dealsAttainmentPercent"] == "62.5"  # 5 of 8
    # seller3's deal of an earlier month counts there, not here.
    assert rows[("USER", seller3)]["wonDeals"] == 0
    earlier = last_month_end().replace(day=1)
    reply = graphql(
        PERFORMANCE,
        {"period": "MONTH", "start": earlier.isoformat()},
        bu="acme.de",
        as_="acme.de.manager",
    )
    three = rows_by_subject(reply)[("USER", seller3)]
    assert (three["won"]["amount"], three["revenueAttainmentPercent"]) == ("39062.50", "390.6")


def test_a_quarter_and_a_year_add_up_their_months(graphql, eu, sales_floor):
    today = this_month()
    quarter = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    for period, start in (("QUARTER", quarter), ("YEAR", datetime.date(today.year, 1, 1))):
        rows = rows_by_subject(
            graphql(
                PERFORMANCE,
                {"period": period, "start": start.isoformat()},
                bu="acme.de",
                as_="acme.de.manager",
            )
        )
        assert rows[("USER", "acme.de.sales")]["won"]["amount"] == "9375.00"
        assert rows[("USER", "acme.de.sales")]["revenueTarget"] is None  # set for the month


def test_who_sees_which_rows(graphql, eu, sales_floor):
    seller2, seller3, _seller4 = sales_floor["sellers"]
    mine = rows_by_subject(graphql(PERFORMANCE, this_period(), bu="acme.de", as_="acme.de.sales"))
    assert set(mine) == {("USER", "acme.de.sales"), ("TEAM", "Nord")}
    assert mine[("TEAM", "Nord")]["won"]["amount"] == "17187.50"  # the team's, not only mine
    other = rows_by_subject(graphql(PERFORMANCE, this_period(), bu="acme.de", as_=seller3))
    assert set(other) == {("USER", seller3), ("TEAM", "Süd")}
    for username in ("acme.de.finance", "acme.director"):
        rows = rows_by_subject(graphql(PERFORMANCE, this_period(), bu="acme.de", as_=username))
        assert {("BUSINESS_UNIT", None), ("TEAM", "Süd"), ("USER", seller2)} <= set(rows)
    reply = graphql(PERFORMANCE, this_period(), bu="acme.de", as_="acme.de.legal")
    assert reply.codes == ["PERMISSION_DENIED"]
    assert reply.data is None


def leaderboard(graphql: Any, as_: str = "acme.de.manager", **variables: Any) -> Any:
    return graphql(LEADERBOARD, {**this_period(), **variables}, bu="acme.de", as_=as_)


def test_the_leaderboard_ranks_people_and_teams(graphql, eu, sales_floor):
    seller2, seller3, seller4 = sales_floor["sellers"]
    reply = leaderboard(graphql)
    assert reply.errors == []
    board = reply.data["salesLeaderboard"]
    assert (board["by"], board["currency"]) == ("USER", "CNY")
    ranking = [
        (
            row["rank"],
            row["user"]["username"],
            row["won"]["amount"],
            row["wonDeals"],
            row["winRatePercent"],
        )
        for row in board["rows"]
    ]
    # seller2 and seller4 won the same: one rank, the next one is 4.
    assert ranking == [
        (1, "acme.de.sales", "9375.00", 3, "100.0"),
        (2, seller2, "7812.50", 1, "50.0"),
        (2, seller4, "7812.50", 1, "100.0"),
        (4, seller3, "0.00", 0, "0.0"),
    ]
    teams = leaderboard(graphql, by="TEAM").data["salesLeaderboard"]["rows"]
    assert [(r["rank"], r["team"]["name"], r["won"]["amount"]) for r in teams] == [
        (1, "Nord", "17187.50"),
        (2, "Süd", "7812.50"),
    ]
    top = leaderboard(graphql, first=1).data["salesLeaderboard"]["rows"]
    assert [r["user"]["username"] for r in top] == ["acme.de.sales"]
    # Salespeople see the whole board; back-end support may not.
    assert len(leaderboard(graphql, as_=seller3).data["salesLeaderboard"]["rows"]) == 4
    support = member("acme.de.support", "back_support")
    reply = leaderboard(graphql, as_=support)
    assert reply.codes == ["PERMISSION_DENIED"]


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (PERFORMANCE, {"start": "2026-02-15"}, "start"),
        (PERFORMANCE, {"period": "QUARTER", "start": "2026-02-01"}, "start"),
        (PERFORMANCE, {"period": "YEAR", "start": "2026-07-01"}, "start"),
        (PERFORMANCE, {"start": "0001-01-01"}, "start"),
        (LEADERBOARD, {"start": "2026-03-31"}, "start"),
        (LEADERBOARD, {"first": 0}, "first"),
        (LEADERBOARD, {"first": 101}, "first"),
    ],
)
def test_bad_periods_and_sizes_are_typed_errors(graphql, eu, world, query, variables, field):
    reply = graphql(query, {**this_period(), **variables}, bu="acme.de", as_="acme.de.manager")
    assert reply.codes == ["INVALID_ARGUMENT"]
    assert reply.errors[0]["extensions"]["field"] == field
    assert reply.data is None


def test_other_business_units_deals_never_count(graphql, settings, sales_floor):
    settings.REGION = "ap"
    japan = member("acme.jp.boss", "bu_manager", "acme.jp")
    won("acme.jp.sales", "100000", bu="jp")  # JPY at 21.05 per CNY
    with schema_context(JP):
        set_target("BUSINESS_UNIT", bu="jp", amount="10000.00")
    rows = rows_by_subject(
        graphql(
            PERFORMANCE,
            {"period": "MONTH", "start": this_month("acme.jp").isoformat()},
            bu="acme.jp",
            as_=japan,
        )
    )
    unit = rows[("BUSINESS_UNIT", None)]
    expected = (Decimal(100000) / Decimal("21.05")).quantize(Decimal("0.01"))
    assert (unit["won"]["amount"], unit["wonDeals"]) == (str(expected), 1)
    assert set(rows) == {("BUSINESS_UNIT", None), ("USER", "acme.jp.sales"), ("USER", japan)}
    board = graphql(
        LEADERBOARD,
        {"period": "MONTH", "start": this_month("acme.jp").isoformat()},
        bu="acme.jp",
        as_=japan,
    )
    assert [r["user"]["username"] for r in board.data["salesLeaderboard"]["rows"]] == [
        "acme.jp.sales"
    ]
    # ... and acme.de's figures are untouched by acme.jp's deal.
    settings.REGION = "eu"
    unit = rows_by_subject(graphql(PERFORMANCE, this_period(), bu="acme.de", as_="acme.de.manager"))
    assert unit[("BUSINESS_UNIT", None)]["won"]["amount"] == "25000.00"


def test_the_sql_of_the_dashboards_does_not_grow_with_their_rows(graphql, eu, world):
    """Rows, their users, teams and targets are loaded per report, not per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(query: str, **variables: Any) -> int:
        with CaptureQueriesContext(connection) as captured:
            reply = graphql(
                query, {**this_period(), **variables}, bu="acme.de", as_="acme.de.manager"
            )
        assert reply.errors == []
        return len(captured)

    selection = PERFORMANCE.replace(
        "revenueTarget { amount { amount currency } }",
        "revenueTarget { amount { amount currency } user { username } setBy { username } "
        "team { name } permissions { actions } }",
    )
    graphql(PERFORMANCE, this_period(), bu="acme.de", as_="acme.de.manager")  # token's first use
    won("acme.de.sales", "10.00")
    make_team("Team 1", ["acme.de.sales"])
    with schema_context(DE):
        set_target("USER", user="acme.de.sales")
    few = (statements(selection), statements(LEADERBOARD), statements(LEADERBOARD, by="TEAM"))
    for number in range(2, 6):
        seller = member(f"acme.de.seller{number}", "front_sales")
        make_team(f"Team {number}", [seller])
        won(seller, "10.00")
        with schema_context(DE):
            set_target("USER", user=seller)
    many = (statements(selection), statements(LEADERBOARD), statements(LEADERBOARD, by="TEAM"))
    assert many == few
