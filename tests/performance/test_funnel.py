"""The stage funnel through GraphQL: what entered each stage per period, converted, was won,
lost or is still there; skipped stages are reached, a stage entered twice counts once; scoped
to the deals one may view; bad ranges are typed errors; other BUs' deals never count."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.tenants.opportunities import services
from crm.tenants.opportunities.models import Opportunity, OpportunityEvent, Pipeline
from crm.tests.opportunities.helpers import access_of, make_deal
from crm.tests.performance.helpers import DE, gid, lost, member, this_month, won
from crm.tests.relationships.helpers import business_unit

FIGURES = "stage entered converted conversionPercent won lost open"
FUNNEL = f"""query($from: Date!, $to: Date!, $granularity: PeriodKind, $pipeline: ID) {{
  salesFunnel(from: $from, to: $to, granularity: $granularity, pipeline: $pipeline) {{
    pipeline from to granularity stages {{ code name position kind }}
    periods {{ period start end stages {{ {FIGURES} }} }}
    total {{ {FIGURES} }} }} }}"""

STEPS = ("qualification", "needs_analysis", "solution", "quote", "negotiation", "won")


@pytest.fixture
def eu(settings: Any) -> None:
    settings.REGION = "eu"


def today(handle: str = "acme.de") -> datetime.date:
    return business_unit(handle).today()


def month(handle: str = "acme.de", **variables: Any) -> dict[str, Any]:
    return {"from": this_month(handle).isoformat(), "to": today(handle).isoformat(), **variables}


def figures(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        row["stage"]: (row["entered"], row["converted"], row["won"], row["lost"], row["open"])
        for row in rows
    }


@pytest.fixture
def deals(world: Any) -> dict[str, Any]:
    """acme.de.sales' deals this month: one in qualification, one advanced straight to solution,
    one won, one lost from qualification, one taken to quote, back and to quote again; and
    another salesperson's deal in quote."""
    made = {
        "open": make_deal(),
        "skipped": make_deal(stage="solution"),
        "won": won(),
        "lost": lost(),
        "again": make_deal(stage="quote"),
    }
    access = access_of("acme.de.sales")
    with schema_context(DE):
        services.advance(access, made["again"], "needs_analysis", "back")
        services.advance(access, made["again"], "quote", "forward again")
    seller2 = member("acme.de.seller2", "front_sales")
    made["other"] = make_deal(stage="quote", as_=seller2)
    return made


def test_the_funnel_of_this_month(graphql, eu, deals):
    reply = graphql(FUNNEL, month(), bu="acme.de", as_="acme.de.sales", language="de")
    assert reply.errors == []
    funnel = reply.data["salesFunnel"]
    assert funnel["pipeline"] == "standard"
    assert funnel["granularity"] == "MONTH"
    assert [s["code"] for s in funnel["stages"]] == list(STEPS)
    assert funnel["stages"][2]["name"] == "Lösungskonzept"  # in the request's language
    assert [s["kind"] for s in funnel["stages"]] == ["OPEN"] * 5 + ["WON"]
    (period,) = funnel["periods"]
    assert period["period"] == this_month().strftime("%Y-%m")
    assert (period["start"], period["end"]) == (this_month().isoformat(), today().isoformat())
    # (entered, converted, won, lost, open): entered = converted + lost + open.
    assert figures(period["stages"]) == {
        "qualification": (5, 3, 1, 1, 1),
        "needs_analysis": (3, 3, 1, 0, 0),  # the deal advanced to solution reached it too
        "solution": (3, 2, 1, 0, 1),
        "quote": (2, 1, 1, 0, 1),  # entered twice, counted once
        "negotiation": (1, 1, 1, 0, 0),
        "won": (1, 0, 1, 0, 0),
    }
    assert [row["conversionPercent"] for row in period["stages"]] == [
        "60.0",
        "100.0",
        "66.7",
        "50.0",
        "100.0",
        "0.0",
    ]
    assert figures(funnel["total"]) == figures(period["stages"])


def test_the_manager_counts_every_deal_of_the_business_unit(graphql, eu, deals):
    reply = graphql(FUNNEL, month(), bu="acme.de", as_="acme.de.manager")
    counted = figures(reply.data["salesFunnel"]["total"])
    assert counted["qualification"] == (6, 4, 1, 1, 1)
    assert counted["quote"] == (3, 1, 1, 0, 2)
    support = member("acme.de.support", "back_support")
    assert (
        figures(graphql(FUNNEL, month(), bu="acme.de", as_=support).data["salesFunnel"]["total"])
        == counted
    )


def test_periods_split_by_when_each_stage_was_reached(graphql, eu, world):
    start = this_month()
    last_month = (start - datetime.timedelta(days=1)).replace(day=1)
    earlier = won()
    with schema_context(DE):
        # Created (in qualification) a month earlier, the rest of its trail today.
        delta = today() - last_month
        Opportunity.objects.filter(pk=earlier.pk).update(created_at=earlier.created_at - delta)
        created = OpportunityEvent.objects.get(
            opportunity=earlier, kind=OpportunityEvent.Kind.CREATED
        )
        OpportunityEvent.objects.filter(pk=created.pk).update(at=created.at - delta)
    reply = graphql(
        FUNNEL,
        {"from": last_month.isoformat(), "to": today().isoformat()},
        bu="acme.de",
        as_="acme.de.manager",
    )
    before, now = reply.data["salesFunnel"]["periods"]
    assert before["period"] == last_month.strftime("%Y-%m")
    assert figures(before["stages"])["qualification"] == (1, 1, 1, 0, 0)
    assert figures(before["stages"])["needs_analysis"][0] == 0
    assert figures(now["stages"])["qualification"][0] == 0
    assert figures(now["stages"])["won"] == (1, 0, 1, 0, 0)
    # The same range by quarter or year: one or two periods, the same totals.
    for granularity in ("QUARTER", "YEAR"):
        reply = graphql(
            FUNNEL,
            {"from": last_month.isoformat(), "to": today().isoformat(), "granularity": granularity},
            bu="acme.de",
            as_="acme.de.manager",
        )
        funnel = reply.data["salesFunnel"]
        assert funnel["granularity"] == granularity
        assert figures(funnel["total"])["won"] == (1, 0, 1, 0, 0)
        assert funnel["periods"][0]["start"] == last_month.isoformat()  # cut to the range


def test_a_deal_loaded_without_a_trail_counts_from_its_creation_and_stage(graphql, eu, world):
    deal = make_deal(stage="solution")
    with schema_context(DE):
        OpportunityEvent.objects.filter(opportunity=deal).delete()
    counted = figures(
        graphql(FUNNEL, month(), bu="acme.de", as_="acme.de.manager").data["salesFunnel"]["total"]
    )
    assert counted["qualification"] == (1, 1, 0, 0, 0)
    assert counted["solution"] == (1, 0, 0, 0, 1)


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"from": "2026-03-01", "to": "2026-02-01"}, "INVALID_ARGUMENT", "from"),
        ({"from": "2020-01-01", "to": "2023-01-31"}, "INVALID_ARGUMENT", "from"),  # 37 months
        ({"from": "0001-01-01", "to": "0001-02-01"}, "INVALID_ARGUMENT", "from"),
        ({"pipeline": "nonsense"}, "MALFORMED_ID", "pipeline"),
        ({"pipeline": "UGlwZWxpbmU6OTk5OTk="}, "NOT_FOUND", "pipeline"),  # Pipeline:99999
    ],
)
def test_bad_ranges_are_typed_errors(graphql, eu, world, variables, code, field):
    reply = graphql(FUNNEL, month(**variables), bu="acme.de", as_="acme.de.manager")
    assert reply.codes == [code]
    assert reply.errors[0]["extensions"]["field"] == field
    assert reply.data is None


def test_36_quarters_are_fine(graphql, eu, world):
    reply = graphql(
        FUNNEL,
        {"from": "2018-01-01", "to": "2026-12-31", "granularity": "QUARTER"},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert reply.errors == []
    assert len(reply.data["salesFunnel"]["periods"]) == 36


def test_who_may_ask(graphql, eu, deals):
    reply = graphql(FUNNEL, month(), bu="acme.de", as_="acme.de.legal")
    assert reply.codes == ["PERMISSION_DENIED"]
    reply = graphql(FUNNEL, month(), bu="acme.de", as_="acme.nobody")
    assert reply.codes == ["NOT_A_MEMBER"]


def test_other_business_units_see_none_of_these_deals(graphql, settings, deals):
    settings.REGION = "ap"
    japan = member("acme.jp.boss", "bu_manager", "acme.jp")
    make_deal(as_="acme.jp.sales", bu="jp")
    reply = graphql(FUNNEL, month("acme.jp"), bu="acme.jp", as_=japan)
    assert figures(reply.data["salesFunnel"]["total"])["qualification"] == (1, 0, 0, 0, 1)
    # acme.de's default pipeline by its id, asked in acme.jp: another BU's record.
    with schema_context(DE):
        pipeline = Pipeline.objects.get(is_default=True)
    reply = graphql(
        FUNNEL, month("acme.jp", pipeline=gid("Pipeline", pipeline)), bu="acme.jp", as_=japan
    )
    assert reply.codes == ["NOT_FOUND"]
    settings.REGION = "cn"
    reply = graphql(FUNNEL, month(), bu="rival.main", as_="rival.admin")
    assert all(row["entered"] == 0 for row in reply.data["salesFunnel"]["total"])
