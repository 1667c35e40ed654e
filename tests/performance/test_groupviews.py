"""The group-wide funnel and performance: what a cell answers (its own BUs only, codes and
counts, no person), how HQ adds the cells up and ranks BUs and teams, the contract's checks, and
the GraphQL views (HQ only, per-cell statuses, typed errors). Across real cells: test_cells.py."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.regions.federation import sales_reports
from crm.regions.federation.contract import (
    AggregateRequest,
    ContractError,
    aggregate_named,
)
from crm.regions.federation.fanout import CellAnswer, GroupView, _read_answer
from crm.tenants.models import Group
from crm.tests.groupviews.helpers import answer_of, as_json, make_headquarters, strings_in
from crm.tests.opportunities.helpers import make_deal
from crm.tests.performance.helpers import (
    DE,
    lost,
    make_team,
    member,
    set_target,
    this_month,
    won,
)
from crm.tests.relationships.helpers import business_unit

HQ_ZONE = "Asia/Shanghai"

GROUP_FUNNEL = """query($from: Date!, $to: Date!) { groupFunnel(from: $from, to: $to) {
  group complete missingRegions from to granularity cells { region status detail businessUnits }
  stages { stage stageTemplate step }
  periods { period start end stages { stage entered converted conversionPercent won lost open } }
  total { stage entered converted won lost open }
  rows { region businessUnit businessUnitName pipeline stage stageName period entered } } }"""
GROUP_PERFORMANCE = """query($period: PeriodKind!, $start: Date!) {
  groupPerformance(period: $period, start: $start) {
    group complete missingRegions period start end code currency cells { region status }
    businessUnits { rank region businessUnit businessUnitName team teamName won { amount currency }
      wonDeals lostDeals winRatePercent withoutGroupAmount revenueTarget { amount } dealsTarget
      revenueAttainmentPercent dealsAttainmentPercent }
    teams { rank businessUnit team teamName won { amount } wonDeals }
    total { won { amount } wonDeals lostDeals revenueTarget { amount } dealsTarget } } }"""


def hq_day() -> datetime.date:
    return business_unit("acme.hq").today()


def funnel_parameters(start: datetime.date, end: datetime.date) -> dict[str, str]:
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "granularity": "MONTH",
        "time_zone": HQ_ZONE,
    }


def month_parameters() -> dict[str, str]:
    return {"period": "MONTH", "start": this_month().isoformat()}


@pytest.fixture
def business(world: Any) -> dict[str, Any]:
    """Deals, teams and targets in acme.de (eu) and acme.jp (ap), closed this month."""
    seller2 = member("acme.de.seller2", "front_sales")
    nord = make_team("Nord", ["acme.de.sales"])
    sued = make_team("Süd", [seller2])
    won("acme.de.sales", "1000.00", name="Deal Erika Mustermann")  # 7812.50 CNY
    won(seller2, "2000.00")  # 15625.00 CNY
    lost(seller2)
    make_deal(stage="quote", name="Deal Geheim")
    with schema_context(DE):
        set_target("BUSINESS_UNIT", amount="50000.00")
        set_target("TEAM", team=nord, metric="WON_DEALS", count=2)
        set_target("USER", user="acme.de.sales", amount="1.00")  # a person's: stays home
    won("acme.jp.sales", "2105000", bu="jp")  # 100000.00 CNY at 21.05 JPY per CNY
    return {"nord": nord, "sued": sued, "seller2": seller2}


def test_a_cell_answers_its_own_business_units_funnel_in_codes_and_counts(business):
    start = this_month()
    answer = answer_of("eu", "funnel", parameters=funnel_parameters(start, hq_day()))
    assert answer["business_units"] == ["de"]
    rows = {(row["stage"], row["period"]): row for row in answer["rows"]}
    period = start.strftime("%Y-%m")
    assert rows[("qualification", period)]["entered"] == 4
    assert rows[("qualification", period)]["converted"] == 3
    assert rows[("qualification", period)]["lost"] == 1
    assert rows[("won", period)]["won"] == 2
    assert rows[("quote", period)]["open"] == 1
    assert rows[("solution", period)]["stage_name"] == "Lösungskonzept"  # the BU's language
    assert rows[("solution", period)]["stage_template"] == "solution"
    assert {row["business_unit"] for row in answer["rows"]} == {"de"}
    text = as_json(answer)
    for personal in ("acme.de.sales", "Erika", "Mustermann", "Geheim", "Deal"):
        assert personal not in text
    ap = answer_of("ap", "funnel", parameters=funnel_parameters(start, hq_day()))
    assert {row["business_unit"] for row in ap["rows"]} == {"jp"}
    assert sum(row["entered"] for row in ap["rows"] if row["stage"] == "won") == 1


def test_a_cell_answers_performance_per_business_unit_and_team_never_per_person(business):
    answer = answer_of("eu", "performance", parameters=month_parameters())
    rows = {row["team_name"]: row for row in answer["rows"]}
    unit = rows[None]
    assert unit["team"] is None
    assert (unit["won_amount"], unit["won_deals"], unit["lost_deals"]) == ("23437.50", 2, 1)
    assert unit["revenue_target"] == "50000.00"
    assert rows["Nord"]["team"] == f"team-{business['nord'].pk}"
    assert (rows["Nord"]["won_amount"], rows["Nord"]["deals_target"]) == ("7812.50", 2)
    assert (rows["Süd"]["won_amount"], rows["Süd"]["revenue_target"]) == ("15625.00", None)
    values = set(strings_in(answer))
    for personal in ("acme.de.sales", business["seller2"], "1.00"):
        assert personal not in values
    for key in ("user", "owner", "username", "email"):
        assert not any(key in row for row in answer["rows"])


@pytest.mark.parametrize(
    ("aggregate", "parameters"),
    [
        ("funnel", {}),
        (
            "funnel",
            {
                "from": "2026-02-01",
                "to": "2026-01-01",
                "granularity": "MONTH",
                "time_zone": HQ_ZONE,
            },
        ),
        (
            "funnel",
            {
                "from": "2020-01-01",
                "to": "2026-01-01",
                "granularity": "MONTH",
                "time_zone": HQ_ZONE,
            },
        ),
        (
            "funnel",
            {"from": "2026-01-01", "to": "2026-02-01", "granularity": "WEEK", "time_zone": HQ_ZONE},
        ),
        (
            "funnel",
            {
                "from": "2026-01-01",
                "to": "2026-02-01",
                "granularity": "MONTH",
                "time_zone": "Mars/Olympus",
            },
        ),
        (
            "funnel",
            {"from": 20260101, "to": "2026-02-01", "granularity": "MONTH", "time_zone": HQ_ZONE},
        ),
        ("performance", {"period": "MONTH"}),
        ("performance", {"period": "MONTH", "start": "2026-02-02"}),
        ("performance", {"period": "DAY", "start": "2026-02-01"}),
        ("performance", {"period": "MONTH", "start": "yesterday"}),
    ],
)
def test_parameters_outside_the_contract_are_refused(world, aggregate, parameters):
    with pytest.raises(ContractError):
        aggregate_named(aggregate).clean_parameters(parameters)


def test_hq_refuses_rows_with_fields_outside_the_contract(world):
    performance = aggregate_named("performance")
    row = {
        "business_unit": "de",
        "team": None,
        "team_name": None,
        "won_amount": "1.00",
        "won_deals": 1,
        "lost_deals": 0,
        "without_group_amount": 0,
        "revenue_target": None,
        "deals_target": None,
    }
    assert performance.read_rows([row])[0]["won_amount"] == 1
    with pytest.raises(ContractError, match="unexpected row fields: owner"):
        performance.read_rows([{**row, "owner": "acme.de.sales"}])
    with pytest.raises(ContractError):
        performance.read_rows([{**row, "team": "Team Müller"}])  # not a code
    funnel = aggregate_named("funnel")
    with pytest.raises(ContractError, match="missing row fields"):
        funnel.read_rows([{"business_unit": "de"}])


def every_cell(aggregate: str, parameters: dict[str, Any], **_: Any) -> GroupView:
    """The view as the fan-out builds it, each cell's answer computed by that cell's own code
    here (one database holds every test BU); real HTTP between cells is test_cells.py's."""
    group = Group.objects.get(code="acme")
    name = aggregate
    cleaned = aggregate_named(name).clean_parameters(parameters)
    cells = []
    for region in ("ap", "cn", "eu"):
        request = AggregateRequest("acme", name, cleaned, hq_day(), region)
        answer = answer_of(region, name, parameters=cleaned, as_of=hq_day())
        status, detail, units, rows = _read_answer(aggregate_named(name), request, group, answer)
        cells.append(CellAnswer(region, status, 1, detail, units, rows))
    return GroupView(group, name, cleaned, hq_day(), cells)


@pytest.fixture
def answering_cells(monkeypatch: Any) -> None:
    monkeypatch.setattr(
        sales_reports,
        "group_view",
        lambda group, name, parameters, **kw: every_cell(name, parameters),
    )


def test_hq_adds_up_the_cells_and_ranks_business_units_and_teams(
    graphql, business, answering_cells
):
    make_headquarters()
    reply = graphql(GROUP_PERFORMANCE, month_parameters(), bu="acme.hq", as_="acme.director")
    assert reply.errors == []
    view = reply.data["groupPerformance"]
    assert view["complete"] is True
    assert view["currency"] == "CNY"
    ranking = [
        (r["rank"], r["businessUnit"], r["region"], r["won"]["amount"])
        for r in view["businessUnits"]
    ]
    assert ranking == [
        (1, "jp", "ap", "100000.00"),
        (2, "de", "eu", "23437.50"),
        (3, "hq", "cn", "0.00"),
    ]
    de = view["businessUnits"][1]
    assert de["businessUnitName"] == "acme de"
    assert de["winRatePercent"] == "66.7"
    assert de["revenueAttainmentPercent"] == "46.9"
    assert [(t["rank"], t["teamName"], t["won"]["amount"]) for t in view["teams"]] == [
        (1, "Süd", "15625.00"),
        (2, "Nord", "7812.50"),
    ]
    assert view["total"] == {
        "won": {"amount": "123437.50"},
        "wonDeals": 3,
        "lostDeals": 1,
        "revenueTarget": {"amount": "50000.00"},
        "dealsTarget": None,
    }
    reply = graphql(
        GROUP_FUNNEL,
        {"from": this_month().isoformat(), "to": hq_day().isoformat()},
        bu="acme.hq",
        as_="acme.admin",
    )
    assert reply.errors == []
    funnel = reply.data["groupFunnel"]
    assert [s["stage"] for s in funnel["stages"]] == [
        "qualification",
        "needs_analysis",
        "solution",
        "quote",
        "negotiation",
        "won",
    ]
    total = {row["stage"]: row for row in funnel["total"]}
    assert (total["qualification"]["entered"], total["won"]["entered"]) == (5, 3)
    assert total["qualification"]["lost"] == 1
    assert {(r["businessUnit"], r["region"]) for r in funnel["rows"]} == {
        ("de", "eu"),
        ("jp", "ap"),
    }


def test_cells_that_do_not_answer_are_listed_missing(graphql, business, settings):
    make_headquarters()
    settings.CELL_ENDPOINTS = {}
    reply = graphql(GROUP_PERFORMANCE, month_parameters(), bu="acme.hq", as_="acme.director")
    view = reply.data["groupPerformance"]
    assert view["complete"] is False
    assert view["missingRegions"] == ["ap", "eu"]
    assert {c["region"]: c["status"] for c in view["cells"]} == {
        "ap": "UNREACHABLE",
        "cn": "OK",
        "eu": "UNREACHABLE",
    }
    assert [r["businessUnit"] for r in view["businessUnits"]] == ["hq"]
    reply = graphql(
        GROUP_FUNNEL,
        {"from": this_month().isoformat(), "to": hq_day().isoformat()},
        bu="acme.hq",
        as_="acme.director",
    )
    funnel = reply.data["groupFunnel"]
    assert funnel["missingRegions"] == ["ap", "eu"]
    assert funnel["rows"] == []


@pytest.mark.parametrize("query", [GROUP_FUNNEL, GROUP_PERFORMANCE])
def test_only_at_headquarters_and_only_for_those_the_policy_lets(graphql, world, settings, query):
    settings.CELL_ENDPOINTS = {}
    variables = (
        {"from": "2026-01-01", "to": "2026-01-31"}
        if query is GROUP_FUNNEL
        else {"period": "MONTH", "start": "2026-01-01"}
    )
    reply = graphql(query, variables, bu="acme.hq", as_="acme.admin")
    assert reply.codes == ["NOT_HEADQUARTERS"]  # acme.hq is not of kind HQ yet
    make_headquarters()
    for username in ("acme.steward", "acme.auditor"):
        assert graphql(query, variables, bu="acme.hq", as_=username).codes == ["PERMISSION_DENIED"]
    with override_settings(REGION="eu"):
        reply = graphql(query, variables, bu="acme.de", as_="acme.director")
        assert reply.codes == ["NOT_HEADQUARTERS"]
        assert graphql(query, variables, bu="acme.de", as_="acme.de.manager").codes == [
            "PERMISSION_DENIED"
        ]
    assert graphql(query, variables, bu="rival.main", as_="rival.admin").codes == [
        "NOT_HEADQUARTERS"
    ]


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (GROUP_FUNNEL, {"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        (GROUP_FUNNEL, {"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        (GROUP_PERFORMANCE, {"period": "QUARTER", "start": "2026-02-01"}, "start"),
        (GROUP_PERFORMANCE, {"period": "MONTH", "start": "0001-01-01"}, "start"),
    ],
)
def test_bad_arguments_are_typed_errors(graphql, world, settings, query, variables, field):
    make_headquarters()
    settings.CELL_ENDPOINTS = {}
    reply = graphql(query, variables, bu="acme.hq", as_="acme.admin")
    assert reply.codes == ["INVALID_ARGUMENT"]
    assert reply.errors[0]["extensions"]["field"] == field


def test_a_cell_of_another_group_answers_nothing_of_this_one(business):
    answer = answer_of("cn", "performance", group="rival", parameters=month_parameters())
    assert answer["business_units"] == ["main"]
    assert [row["won_amount"] for row in answer["rows"]] == ["0.00"]
