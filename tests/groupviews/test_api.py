"""Group views through GraphQL in one database: who may ask, where, with which arguments, and
how missing cells show (the other cells' endpoints are a silent socket and a closed port)."""

from __future__ import annotations

import datetime
import socket
from collections.abc import Iterator

import pytest

from crm.regions.federation.aggregates import receivables
from crm.tenants.models import BusinessUnit
from crm.tests.groupviews.helpers import make_headquarters
from crm.tests.opportunities.helpers import make_deal

PIPELINE = """query($asOf: Date) { groupPipeline(asOf: $asOf) {
  group asOf complete missingRegions currency
  cells { region status elapsedMs detail businessUnits }
  rows { region businessUnit businessUnitName pipeline stage stageName stageTemplate position
         count amount { amount currency } withoutGroupAmount }
  stages { stage stageTemplate count amount { amount currency } withoutGroupAmount }
  total { count amount { amount currency } withoutGroupAmount } } }"""
LEAD_SOURCES = """query($from: Date!, $to: Date!) { groupLeadSources(from: $from, to: $to) {
  from to complete missingRegions cells { region status }
  rows { region businessUnit source sourceName leads open converted invalid won }
  sources { source sourceName leads open converted invalid won } } }"""
RECEIVABLES = """{ groupReceivables {
  complete missingRegions available unavailableReasons currency
  cells { region status detail } rows { customer } customers { customer } } }"""
MY_PERMISSIONS = """{ myPermissions(objectType: GROUP_VIEW) { actions fields { name mode } } }"""


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung cell)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (a cell that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def other_cells(settings, silent_port, closed_port) -> dict[str, str]:
    settings.GROUP_VIEW_TIMEOUT = 0.5
    settings.CELL_ENDPOINTS = {
        "eu": f"http://127.0.0.1:{silent_port}",
        "ap": f"http://127.0.0.1:{closed_port}",
    }
    return settings.CELL_ENDPOINTS


def test_the_pipeline_of_the_cells_that_answered_and_the_missing_ones(world, graphql, other_cells):
    make_headquarters()
    make_deal(amount="1000.00", currency="EUR", as_="acme.director", bu="hq")
    make_deal(amount="50.00", as_="acme.director", bu="hq")  # CNY
    reply = graphql(PIPELINE, bu="acme.hq", as_="acme.director")
    assert reply.errors == []
    view = reply.data["groupPipeline"]
    assert view["group"] == "acme"
    assert view["asOf"] == BusinessUnit.objects.get(schema_name="bu_acme_hq").today().isoformat()
    assert view["complete"] is False
    assert view["missingRegions"] == ["ap", "eu"]
    cells = {cell["region"]: cell for cell in view["cells"]}
    assert cells["cn"]["status"] == "OK"
    assert cells["cn"]["businessUnits"] == ["hq"]
    assert cells["eu"]["status"] == "TIMEOUT"
    assert 400 <= cells["eu"]["elapsedMs"] < 3000
    assert cells["ap"]["status"] == "UNREACHABLE"
    assert {row["region"] for row in view["rows"]} == {"cn"}
    qualification = next(s for s in view["stages"] if s["stage"] == "qualification")
    assert qualification["count"] == 2
    # 1000 EUR at 7.8125 CNY plus 50 CNY, in the group currency.
    assert qualification["amount"] == {"amount": "7862.50", "currency": "CNY"}
    assert view["total"] == {
        "count": 2,
        "amount": {"amount": "7862.50", "currency": "CNY"},
        "withoutGroupAmount": 0,
    }
    assert view["currency"] == "CNY"
    row = next(r for r in view["rows"] if r["stage"] == "qualification")
    assert row["businessUnit"] == "hq"
    assert row["businessUnitName"] == "acme hq"


def test_a_cell_without_a_configured_endpoint_is_unreachable(world, graphql, settings):
    make_headquarters()
    settings.CELL_ENDPOINTS = {}
    view = graphql(PIPELINE, bu="acme.hq", as_="acme.admin").data["groupPipeline"]
    statuses = {cell["region"]: (cell["status"], cell["detail"]) for cell in view["cells"]}
    assert statuses["eu"] == ("UNREACHABLE", "no endpoint configured for this cell")
    assert view["missingRegions"] == ["ap", "eu"]


def test_lead_sources_over_a_period(world, graphql, other_cells):
    make_headquarters()
    today = world.today.isoformat()
    reply = graphql(LEAD_SOURCES, {"from": today, "to": today}, bu="acme.hq", as_="acme.director")
    assert reply.errors == []
    view = reply.data["groupLeadSources"]
    assert view["from"] == today
    assert view["complete"] is False
    assert [cell["status"] for cell in view["cells"]] == ["UNREACHABLE", "OK", "TIMEOUT"]


def test_receivables_are_reported_unavailable_not_zero(world, graphql, settings):
    make_headquarters()
    settings.CELL_ENDPOINTS = {}
    previous = receivables.set_provider(None)  # the ledger app provides it in every cell
    try:
        reply = graphql(RECEIVABLES, bu="acme.hq", as_="acme.admin")
    finally:
        receivables.set_provider(previous)
    assert reply.errors == []
    view = reply.data["groupReceivables"]
    assert view["available"] is False
    assert view["unavailableReasons"] == ["NO_PROVIDER"]
    assert view["complete"] is False
    assert {c["region"]: c["status"] for c in view["cells"]}["cn"] == "UNAVAILABLE"
    assert view["rows"] == []
    assert view["customers"] == []


@pytest.mark.parametrize("query", [PIPELINE, RECEIVABLES])
@pytest.mark.parametrize("username", ["acme.de.sales", "acme.de.manager", "acme.steward"])
def test_people_without_the_group_view_are_refused(world, graphql, settings, username, query):
    make_headquarters()
    settings.CELL_ENDPOINTS = {}
    bu = "acme.hq" if username == "acme.steward" else "acme.de"
    settings.REGION = "cn" if bu == "acme.hq" else "eu"
    reply = graphql(query, bu=bu, as_=username)
    assert reply.codes == ["PERMISSION_DENIED"]
    assert reply.data is None


def test_the_views_are_asked_in_the_headquarters_business_unit_only(world, graphql, settings):
    settings.CELL_ENDPOINTS = {}
    # The world's acme.hq is not of kind HQ: nobody's headquarters yet.
    reply = graphql(PIPELINE, bu="acme.hq", as_="acme.admin")
    assert reply.codes == ["NOT_HEADQUARTERS"]
    make_headquarters()
    settings.REGION = "eu"
    reply = graphql(PIPELINE, bu="acme.de", as_="acme.director")
    assert reply.codes == ["NOT_HEADQUARTERS"]
    assert reply.errors[0]["extensions"]["headquarters"] == "acme.hq"
    assert reply.errors[0]["extensions"]["region"] == "cn"


def test_bad_arguments_are_typed_errors(world, graphql, settings):
    make_headquarters()
    settings.CELL_ENDPOINTS = {}
    tomorrow = (world.today + datetime.timedelta(days=2)).isoformat()
    reply = graphql(PIPELINE, {"asOf": tomorrow}, bu="acme.hq", as_="acme.admin")
    assert reply.codes == ["INVALID_ARGUMENT"]
    assert reply.errors[0]["extensions"]["field"] == "asOf"
    reply = graphql(
        LEAD_SOURCES, {"from": "2026-02-01", "to": "2026-01-01"}, bu="acme.hq", as_="acme.admin"
    )
    assert reply.codes == ["INVALID_ARGUMENT"]
    assert reply.errors[0]["extensions"]["field"] == "from"


def test_what_the_policy_says_about_group_views(world, graphql):
    director = graphql(MY_PERMISSIONS, bu="acme.hq", as_="acme.director").data["myPermissions"]
    assert set(director["actions"]) == {"VIEW", "EXPORT"}
    assert {f["name"]: f["mode"] for f in director["fields"]} == {
        "pipeline": "READ",
        "lead_sources": "READ",
        "receivables": "READ",
        "channel_roi": "READ",
        "customer_distribution": "READ",
        "rfm": "READ",
        "receivables_aging": "READ",
        "funnel": "READ",
        "performance": "READ",
    }
    nobody = graphql(MY_PERMISSIONS, bu="acme.hq", as_="acme.auditor").data["myPermissions"]
    assert nobody["actions"] == []
