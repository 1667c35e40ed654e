"""The dashboards' group views in one database: HQ adds up every cell's rows (each cell's part
computed here and read back through the contract, as HQ reads an answer; the real HTTP fan-out
is in test_cells.py); HQ only, for whom the policy lets; bad arguments as typed errors; cells
that do not answer listed as missing; another group sees nothing of this one."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.regions.federation import cell, fanout, insight_reports
from crm.regions.federation.contract import AggregateRequest, ContractError, aggregate_named
from crm.regions.federation.fanout import CellAnswer, GroupView, regions_of
from crm.tenants.insights.rfm import Segment, compute_rfm
from crm.tenants.ledger.receivables import compute_aging
from crm.tests.groupviews.helpers import answer_of, hq_today, make_headquarters, strings_in
from crm.tests.insights.helpers import (
    account_of,
    holder,
    lead,
    open_invoice,
    order,
    payment,
    won_deal,
)
from crm.tests.leads.helpers import campaign
from crm.tests.ledger.helpers import DE, JP, days_ago, rate_on
from crm.tests.relationships.helpers import business_unit

HQ = "bu_acme_hq"
VIEW = "group asOf complete missingRegions cells { region status detail businessUnits }"
FIGURES = """leads converted won wonRevenue { amount currency } withoutGroupAmount campaigns
  cost { amount } campaignsWithoutRate roi"""
ROI = f"""query($from: Date!, $to: Date!) {{ groupChannelRoi(from: $from, to: $to) {{
  {VIEW} from to currency
  rows {{ region businessUnit businessUnitName source sourceName {FIGURES} }}
  sources {{ source sourceName {FIGURES} }} total {{ {FIGURES} }} }} }}"""
DISTRIBUTION = f"""{{ groupCustomerDistribution {{ {VIEW} total
  byCountry {{ key label accounts share }} byIndustry {{ key accounts }} byGrade {{ key accounts }}
  rows {{ region businessUnit industry country countryName grade gradeName accounts }} }} }}"""
RFM = f"""query($asOf: Date, $months: Int) {{ groupRfm(asOf: $asOf, months: $months) {{
  {VIEW} months currency customerCount
  segments {{ segment name customers share orders monetary {{ amount currency }}
             averageRecencyDays }}
  rows {{ region businessUnit segment segmentName customers orders monetary {{ amount }}
          averageRecencyDays }} }} }}"""
BUCKETS = "current { amount } days1To30 { amount } days31To60 { amount } days61To90 { amount } "
BUCKETS += "daysOver90 { amount } total { amount currency }"
AGING = f"""query($asOf: Date) {{ groupReceivablesAging(asOf: $asOf) {{
  {VIEW} currency invoices total {{ {BUCKETS} }} unapplied {{ amount currency }}
  rows {{ region businessUnit businessUnitName invoices buckets {{ {BUCKETS} }}
          unapplied {{ amount }} }} }} }}"""
QUERIES = {"channel_roi": ROI, "customer_distribution": DISTRIBUTION, "rfm": RFM, "aging": AGING}


def variables(name: str) -> dict[str, Any]:
    if name == "channel_roi":
        today = hq_today()
        return {"from": (today - datetime.timedelta(days=30)).isoformat(), "to": today.isoformat()}
    return {}


def ask(graphql, name, username="acme.director", bu="acme.hq", **given):
    return graphql(QUERIES[name], {**variables(name), **given}, bu=bu, as_=username)


@pytest.fixture
def cells_here(monkeypatch):
    """Every cell's part computed here, in this test's transaction, serialized and read back
    through the contract exactly as HQ reads an answer that came over HTTP."""

    def view(group, aggregate_name, parameters, *, as_of, **_ignored):
        aggregate = aggregate_named(aggregate_name)
        cleaned = aggregate.clean_parameters(parameters)
        answers = []
        for region in regions_of(group):
            request = AggregateRequest(group.code, aggregate.name, cleaned, as_of, region)
            with override_settings(REGION=region):
                data = json.loads(json.dumps(cell.answer(request)))
            status, detail, units, rows = fanout._read_answer(aggregate, request, group, data)
            answers.append(CellAnswer(region, status, 0, detail, units, rows))
        return GroupView(group, aggregate.name, cleaned, as_of, answers)

    monkeypatch.setattr(insight_reports, "group_view", view)


@pytest.fixture
def group_data(world, settings):
    """Customers, invoices, campaigns and deals in acme's three BUs (hq, de, jp)."""
    settings.CELL_ENDPOINTS = {}
    make_headquarters()
    rate_on(days_ago(10), "EUR", "0.125")
    made: dict[str, Any] = {}
    with schema_context(DE):
        a = account_of("acme.de.sales", industry="Automotive", country="DE", grade="A")
        b = account_of("acme.de.manager", industry="Automotive", country="FR", grade="B")
        for days in (3, 30, 60):
            order(a, days_ago(days))
        payment(a, days_ago(4), "2400.00")
        order(b, days_ago(300))
        open_invoice(a, days_ago(5), days_ago(-10), "100.00", "800.00")  # current
        open_invoice(b, days_ago(75), days_ago(45), "50.00", "400.00")  # 31-60
        fair = campaign("g-fair", "TRADE_FAIR", cost_amount="1000.00", starts_on=days_ago(10))
        won_deal(
            days_ago(1),
            "20000.00",
            from_lead=lead(source="TRADE_FAIR", campaign=fair, status="CONVERTED"),
            account=a,
        )
        made["de"] = [a, b]
    with schema_context(JP):
        c = account_of(None, "acme.jp", industry="Machinery", country="JP", grade="A")
        order(c, days_ago(100, "acme.jp"))
        payment(c, days_ago(100, "acme.jp"), "3000.00")
        open_invoice(c, days_ago(130, "acme.jp"), days_ago(100, "acme.jp"), "2000", "1000.00")
        made["jp"] = [c]
    with schema_context(HQ):
        d = account_of(None, "acme.hq", industry="Automotive", country="CN", grade="B")
        order(d, days_ago(7, "acme.hq"))
        open_invoice(d, days_ago(35, "acme.hq"), days_ago(5, "acme.hq"), "50.00", "50.00")
        won_deal(days_ago(1, "acme.hq"), "500.00", owner="acme.director", account=d)
        made["hq"] = [d]
    return made


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def _view_of(reply, root):
    assert reply.errors == [], reply.errors
    found = reply.data[root]
    assert found["group"] == "acme"
    assert found["complete"] is True
    assert found["missingRegions"] == []
    assert {c["region"]: c["businessUnits"] for c in found["cells"]} == {
        "cn": ["hq"],
        "eu": ["de"],
        "ap": ["jp"],
    }
    return found


def test_the_group_rfm_adds_up_every_business_units_segments(graphql, group_data, cells_here):
    found = _view_of(ask(graphql, "rfm"), "groupRfm")
    assert (found["months"], found["currency"], found["customerCount"]) == (12, "CNY", 4)
    expected: dict[str, list[Any]] = {s.value: [0, 0, Decimal(0)] for s in Segment}
    for handle, schema in (("acme.de", DE), ("acme.jp", JP), ("acme.hq", HQ)):
        with schema_context(schema):
            scores = compute_rfm(business_unit(handle), as_of=hq_today())
        for summary in scores.segments():
            figures = expected[summary.segment.value]
            figures[0] += summary.customers
            figures[1] += summary.orders
            figures[2] += summary.monetary
    assert {
        s["segment"]: [s["customers"], s["orders"], Decimal(s["monetary"]["amount"])]
        for s in found["segments"]
    } == expected
    rows = {(r["businessUnit"], r["segment"]): r for r in found["rows"]}
    assert {unit for unit, _segment in rows} == {"hq", "de", "jp"}
    assert sum(r["customers"] for r in found["rows"] if r["businessUnit"] == "de") == 2
    assert {r["region"] for r in found["rows"] if r["businessUnit"] == "jp"} == {"ap"}
    # One customer per BU in jp and hq: each alone, so scored in the middle (3, 3).
    (jp,) = [r for r in found["rows"] if r["businessUnit"] == "jp"]
    assert (jp["segment"], jp["customers"], jp["monetary"]) == (
        "NEED_ATTENTION",
        1,
        {"amount": "3000.00"},
    )


def test_the_group_aging_by_bucket(graphql, group_data, cells_here):
    found = _view_of(ask(graphql, "aging"), "groupReceivablesAging")
    assert (found["currency"], found["invoices"]) == ("CNY", 4)
    assert found["total"] == {
        "current": {"amount": "800.00"},
        "days1To30": {"amount": "50.00"},
        "days31To60": {"amount": "400.00"},
        "days61To90": {"amount": "0.00"},
        "daysOver90": {"amount": "1000.00"},
        "total": money("2250.00"),
    }
    assert found["unapplied"] == money("5400.00")  # the payments, none allocated
    rows = {row["businessUnit"]: row for row in found["rows"]}
    assert list(rows) == ["de", "hq", "jp"]
    assert rows["de"]["businessUnitName"] == "acme de"
    assert rows["jp"]["buckets"]["daysOver90"] == {"amount": "1000.00"}
    assert rows["de"]["buckets"]["total"] == money("1200.00")
    with schema_context(DE):
        de = compute_aging(business_unit("acme.de"), as_of=hq_today())
    assert Decimal(rows["de"]["buckets"]["total"]["amount"]) == de.total_group


def test_the_group_channel_roi(graphql, group_data, cells_here):
    found = _view_of(ask(graphql, "channel_roi"), "groupChannelRoi")
    rows = {(r["businessUnit"], r["source"]): r for r in found["rows"]}
    assert set(rows) == {("de", "TRADE_FAIR"), ("hq", None)}
    assert rows[("de", "TRADE_FAIR")]["region"] == "eu"
    sources = {s["source"]: s for s in found["sources"]}
    fair = sources["TRADE_FAIR"]
    assert (fair["leads"], fair["converted"], fair["won"], fair["campaigns"]) == (1, 1, 1, 1)
    assert fair["wonRevenue"] == money("20000.00")
    assert fair["cost"] == {"amount": "8000.00"}
    assert fair["roi"] == "1.5000"
    assert sources[None]["wonRevenue"] == money("500.00")
    assert found["total"]["wonRevenue"] == money("20500.00")
    assert found["total"]["roi"] == "1.5625"


def test_the_group_customer_distribution(graphql, group_data, cells_here):
    found = _view_of(ask(graphql, "customer_distribution"), "groupCustomerDistribution")
    assert found["total"] == 4
    assert {s["key"]: s["accounts"] for s in found["byCountry"]} == {
        "DE": 1,
        "FR": 1,
        "JP": 1,
        "CN": 1,
    }
    assert found["byIndustry"] == [
        {"key": "Automotive", "accounts": 3},
        {"key": "Machinery", "accounts": 1},
    ]
    assert {s["key"]: s["accounts"] for s in found["byGrade"]} == {"A": 2, "B": 2}
    rows = {(r["businessUnit"], r["country"]) for r in found["rows"]}
    assert rows == {("de", "DE"), ("de", "FR"), ("jp", "JP"), ("hq", "CN")}


def test_cells_that_do_not_answer_are_listed_and_the_others_counted(graphql, group_data):
    """Without the other cells' endpoints: only HQ's own cell answers."""
    reply = ask(graphql, "aging")
    assert reply.errors == []
    found = reply.data["groupReceivablesAging"]
    assert found["complete"] is False
    assert found["missingRegions"] == ["ap", "eu"]
    statuses = {c["region"]: c["status"] for c in found["cells"]}
    assert statuses == {"cn": "OK", "eu": "UNREACHABLE", "ap": "UNREACHABLE"}
    assert [row["businessUnit"] for row in found["rows"]] == ["hq"]
    assert found["invoices"] == 1
    for name in ("rfm", "channel_roi", "customer_distribution"):
        reply = ask(graphql, name)
        assert reply.errors == [], name
        (root,) = reply.data.values()
        assert root["missingRegions"] == ["ap", "eu"]


@pytest.mark.parametrize("name", list(QUERIES))
def test_only_in_the_headquarters(graphql, group_data, settings, name):
    settings.REGION = "eu"
    reply = ask(graphql, name, bu="acme.de")
    assert reply.codes == ["NOT_HEADQUARTERS"]
    assert reply.errors[0]["extensions"]["headquarters"] == "acme.hq"


@pytest.mark.parametrize(
    ("name", "allowed"),
    [("rfm", True), ("aging", True), ("channel_roi", False), ("customer_distribution", False)],
)
def test_the_groups_finance_sees_the_money_views(graphql, group_data, name, allowed):
    reply = ask(graphql, name, holder("finance", "acme.hq"))
    assert reply.codes == ([] if allowed else ["PERMISSION_DENIED"])


@pytest.mark.parametrize("name", list(QUERIES))
@pytest.mark.parametrize("username", ["acme.de.manager", "acme.auditor", "acme.steward"])
def test_others_are_refused(graphql, group_data, settings, name, username):
    bu = "acme.de" if username == "acme.de.manager" else "acme.hq"
    settings.REGION = "eu" if bu == "acme.de" else "cn"
    reply = ask(graphql, name, username, bu=bu)
    assert reply.codes == ["PERMISSION_DENIED"]
    assert reply.data is None


@pytest.mark.parametrize(
    ("name", "given", "field"),
    [
        ("channel_roi", {"from": "2026-03-01", "to": "2026-02-01"}, "from"),
        ("channel_roi", {"from": "2000-01-01", "to": "2020-01-01"}, "from"),
        ("rfm", {"asOf": "2999-01-01"}, "asOf"),
        ("rfm", {"months": 0}, "months"),
        ("rfm", {"months": 1000}, "months"),
        ("aging", {"asOf": "2999-01-01"}, "asOf"),
        ("aging", {"asOf": "1000-01-01"}, "asOf"),
    ],
)
def test_bad_arguments_are_typed_errors(graphql, group_data, name, given, field):
    reply = ask(graphql, name, **given)
    assert reply.codes == ["INVALID_ARGUMENT"]
    assert reply.errors[0]["extensions"]["field"] == field


def test_an_earlier_date_asks_every_cell_for_that_date(graphql, group_data, cells_here):
    """Ten days ago the hq invoice (due 5 days ago) was not yet due, and the hq customer's
    latest order was the invoice's, of 35 days ago (the one of 7 days ago was not there yet)."""
    day = (hq_today() - datetime.timedelta(days=10)).isoformat()
    found = _view_of(ask(graphql, "aging", asOf=day), "groupReceivablesAging")
    assert found["asOf"] == day
    hq = next(row for row in found["rows"] if row["businessUnit"] == "hq")
    assert hq["buckets"]["current"] == {"amount": "50.00"}
    rfm = _view_of(ask(graphql, "rfm", asOf=day), "groupRfm")
    (hq_row,) = [row for row in rfm["rows"] if row["businessUnit"] == "hq"]
    assert (hq_row["customers"], hq_row["orders"], hq_row["averageRecencyDays"]) == (1, 1, "25.0")


def test_another_group_sees_nothing_of_this_one(graphql, group_data, cells_here):
    make_headquarters("rival", "main")
    for name in QUERIES:
        reply = ask(graphql, name, "rival.admin", bu="rival.main")
        assert reply.errors == [], name
        (found,) = reply.data.values()
        assert found["group"] == "rival"
        assert {c["region"] for c in found["cells"]} == {"cn"}
        assert {row["businessUnit"] for row in found["rows"]} <= {"main"}
        assert found["rows"] == [] or name == "aging"


# -- what the cells answer ---------------------------------------------------------------------

PARAMETERS = {
    "channel_roi": lambda: {
        "from": (hq_today() - datetime.timedelta(days=30)).isoformat(),
        "to": hq_today().isoformat(),
        "time_zone": "Asia/Shanghai",
    },
    "customer_distribution": dict,
    "rfm": lambda: {"months": 12},
    "receivables_aging": dict,
}


@pytest.mark.parametrize("aggregate", list(PARAMETERS))
def test_a_cells_answer_carries_codes_and_numbers_only(group_data, aggregate):
    with schema_context(DE):
        lead(
            source="TRADE_FAIR",
            status="CONVERTED",
            first_name="Erika",
            last_name="Mustermann",
            email="erika@example.de",
        )
    answer = answer_of("eu", aggregate, parameters=PARAMETERS[aggregate]())
    assert answer["available"] is True
    assert answer["business_units"] == ["de"]
    assert answer["rows"]
    assert {row["business_unit"] for row in answer["rows"]} == {"de"}
    aggregate_named(aggregate).read_rows(answer["rows"])  # what HQ checks on arrival
    texts = set(strings_in(answer["rows"]))
    accounts = group_data["de"]
    for secret in (
        "Erika",
        "Mustermann",
        "erika@example.de",
        "acme.de.sales",
        *(a.local_code for a in accounts),
        *(a.local_name for a in accounts),
    ):
        assert secret not in texts, secret


@pytest.mark.parametrize(
    ("aggregate", "parameters"),
    [
        ("channel_roi", {"from": "2026-01-02", "to": "2026-01-01", "time_zone": "UTC"}),
        ("channel_roi", {"from": "2026-01-01", "to": "2026-01-02", "time_zone": "Mars/Base"}),
        ("channel_roi", {"from": "2026-01-01", "to": "2026-01-02"}),
        ("channel_roi", {"from": "yesterday", "to": "2026-01-02", "time_zone": "UTC"}),
        ("rfm", {"months": "12"}),
        ("rfm", {"months": True}),
        ("rfm", {}),
        ("customer_distribution", {"extra": 1}),
        ("receivables_aging", {"as_of": "2026-01-01"}),
    ],
)
def test_bad_parameters_are_outside_the_contract(aggregate, parameters):
    with pytest.raises(ContractError):
        aggregate_named(aggregate).clean_parameters(parameters)


def test_rows_outside_the_contract_are_refused():
    rfm = aggregate_named("rfm")
    row = {
        "business_unit": "de",
        "segment": "CHAMPIONS",
        "customers": 1,
        "orders": 2,
        "monetary": "10.00",
        "recency_days": 3,
    }
    assert rfm.read_rows([row])[0]["monetary"] == Decimal("10.00")
    for bad in (
        {**row, "segment": "VIPS"},
        {**row, "monetary": 10.0},
        {**row, "account": "K-1"},
        {**row, "customers": -1},
    ):
        with pytest.raises(ContractError):
            rfm.read_rows([bad])
    distribution = aggregate_named("customer_distribution")
    with pytest.raises(ContractError):
        distribution.read_rows(
            [
                {
                    "business_unit": "de",
                    "industry": "x",
                    "country": "D E",
                    "grade": "A",
                    "accounts": 1,
                }
            ]
        )
