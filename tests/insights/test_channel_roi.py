"""Channel ROI: campaign cost (converted at the group's rate of a named date, shown) against the
revenue of deals won from each source's leads; who may see it; the policy's reach and hidden
fields; bad periods as typed errors; nothing of another BU or group."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.platform.permissions.policy import RuleChange, policy_update
from crm.tests.insights.helpers import holder, lead, won_deal
from crm.tests.leads.helpers import campaign
from crm.tests.ledger.helpers import DE, days_ago, rate_on
from crm.tests.relationships.helpers import access_as

FIGURES = """leads converted won wonRevenue { amount currency } withoutGroupAmount campaigns
  cost { amount currency } campaignsWithoutRate roi"""
ROI = f"""query($from: Date!, $to: Date!) {{ channelRoi(from: $from, to: $to) {{
  from to currency
  sources {{ source sourceName {FIGURES} }}
  campaigns {{ code name source running leads converted won wonRevenue {{ amount }}
               withoutGroupAmount cost {{ amount currency }} costGroup {{ amount currency }}
               conversion {{ date rate rateType rateDate }} roi }}
  total {{ source {FIGURES} }} }} }}"""


def ask(graphql, username="acme.de.manager", bu="acme.de", start=None, end=None, **kw):
    period = {
        "from": (start or days_ago(30)).isoformat(),
        "to": (end or days_ago(0)).isoformat(),
    }
    return graphql(ROI, period, bu=bu, as_=username, **kw)


def ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def channels(world, settings):
    """Campaigns, leads and won deals of the German BU over the last 30 days (see each line).

    Rates: CNY→EUR 0.125 (1 EUR = 8 CNY) on campaign A's start; the world's 0.128 today."""
    settings.REGION = "eu"
    rate_on(days_ago(10), "EUR", "0.125")
    with schema_context(DE):
        fair = campaign(
            "a-fair", "TRADE_FAIR", cost_amount="1000.00", starts_on=days_ago(10), name_de="Messe"
        )  # 8,000.00 CNY at the rate of its start
        web = campaign("b-web", "WEBSITE", cost_amount="500.00")  # undated: today's 3,906.25
        old = campaign(
            "c-old",
            "TRADE_FAIR",
            cost_amount="700.00",
            starts_on=days_ago(100),
            ends_on=days_ago(50),
        )  # not running in the period: its cost does not count
        campaign(
            "d-usd", "WEBSITE", cost_amount="200.00", cost_currency="USD", starts_on=days_ago(5)
        )  # no USD rate: counted as a campaign without rate
        converted = lead(source="TRADE_FAIR", campaign=fair, status="CONVERTED")
        lead(source="TRADE_FAIR", campaign=fair)
        lead(source=None, campaign=fair)  # its source is its campaign's
        lead(source="TRADE_FAIR", campaign=old)
        website = lead(source="WEBSITE", status="CONVERTED")
        lead(source="WEBSITE")
        earlier = lead(source="WEBSITE", status="CONVERTED", created=ago(40))
        oldest = lead(source="WEBSITE", status="CONVERTED", created=ago(90))
        won_deal(days_ago(3), "20000.00", from_lead=converted)
        won_deal(days_ago(0), "1000.00", from_lead=website)
        won_deal(days_ago(0), "300.00", from_lead=earlier)  # lead before, won in the period
        won_deal(days_ago(1), None, from_lead=oldest)  # no rate: counted, not valued
        won_deal(days_ago(1), "500.00")  # not from a lead: no source
        won_deal(days_ago(60), "9999.00", from_lead=lead(source="WEBSITE", created=ago(90)))
        won_deal(days_ago(2), "8888.00", from_lead=lead(source="WEBSITE"), status="LOST")
    return {"fair": fair, "web": web}


def money(amount, currency="CNY"):
    return {"amount": amount, "currency": currency}


def test_cost_against_won_revenue_per_source(graphql, channels):
    reply = ask(graphql)
    assert reply.errors == []
    found = reply.data["channelRoi"]
    assert (found["from"], found["to"], found["currency"]) == (
        days_ago(30).isoformat(),
        days_ago(0).isoformat(),
        "CNY",
    )
    sources = {s["source"]: s for s in found["sources"]}
    assert [s["source"] for s in found["sources"]] == ["TRADE_FAIR", "WEBSITE", None]
    assert sources["TRADE_FAIR"] == {
        "source": "TRADE_FAIR",
        "sourceName": sources["TRADE_FAIR"]["sourceName"],
        "leads": 4,
        "converted": 1,
        "won": 1,
        "wonRevenue": money("20000.00"),
        "withoutGroupAmount": 0,
        "campaigns": 1,
        "cost": money("8000.00"),
        "campaignsWithoutRate": 0,
        "roi": "1.5000",
    }
    website = sources["WEBSITE"]
    assert (website["leads"], website["converted"], website["won"]) == (3, 1, 3)
    assert website["wonRevenue"] == money("1300.00")
    assert website["withoutGroupAmount"] == 1
    assert (website["campaigns"], website["campaignsWithoutRate"]) == (2, 1)
    assert website["cost"] == money("3906.25")
    assert website["roi"] == "-0.6672"
    assert sources["TRADE_FAIR"]["sourceName"]  # the source's name, in the BU's language
    assert sources[None]["won"] == 1
    assert sources[None]["wonRevenue"] == money("500.00")
    assert sources[None]["cost"] == money("0.00")
    assert sources[None]["roi"] is None
    total = found["total"]
    assert (total["leads"], total["converted"], total["won"]) == (7, 2, 5)
    assert total["wonRevenue"] == money("21800.00")
    assert total["cost"] == money("11906.25")
    assert total["roi"] == "0.8310"


def test_every_campaign_with_its_dated_conversion(graphql, channels):
    found = ask(graphql, language="de").data["channelRoi"]
    campaigns = {c["code"]: c for c in found["campaigns"]}
    assert list(campaigns) == ["a-fair", "b-web", "c-old", "d-usd"]
    fair = campaigns["a-fair"]
    assert fair["name"] == "Messe"
    assert (fair["source"], fair["running"]) == ("TRADE_FAIR", True)
    assert (fair["leads"], fair["converted"], fair["won"]) == (3, 1, 1)
    assert fair["cost"] == money("1000.00", "EUR")
    assert fair["costGroup"] == money("8000.00")
    assert fair["conversion"] == {
        "date": days_ago(10).isoformat(),
        "rate": "8",
        "rateType": "SPOT",
        "rateDate": days_ago(10).isoformat(),
    }
    assert fair["roi"] == "1.5000"
    web = campaigns["b-web"]
    assert web["costGroup"] == money("3906.25")
    assert web["conversion"]["date"] == days_ago(0).isoformat()  # undated: the period's end
    assert web["conversion"]["rate"] == "7.8125"
    old = campaigns["c-old"]
    assert (old["running"], old["leads"], old["costGroup"], old["conversion"]) == (
        False,
        1,
        None,
        None,
    )
    usd = campaigns["d-usd"]
    assert usd["running"] is True
    assert usd["cost"] == money("200.00", "USD")
    assert (usd["costGroup"], usd["conversion"]) == (None, None)


def test_an_earlier_period_takes_the_rates_of_its_own_dates(graphql, channels):
    """The undated campaign in a period that ended 10 days ago: the rate of that day."""
    reply = ask(graphql, start=days_ago(20), end=days_ago(10))
    campaigns = {c["code"]: c for c in reply.data["channelRoi"]["campaigns"]}
    assert campaigns["b-web"]["conversion"]["date"] == days_ago(10).isoformat()
    assert campaigns["b-web"]["costGroup"] == money("4000.00")
    assert campaigns["a-fair"]["running"] is True  # it started on the period's last day
    sources = {s["source"]: s for s in reply.data["channelRoi"]["sources"]}
    assert sources["TRADE_FAIR"]["won"] == 0


def test_without_a_rate_for_the_period_end_the_undated_cost_is_left_out(graphql, channels):
    reply = ask(graphql, start=days_ago(300), end=days_ago(200))
    campaigns = {c["code"]: c for c in reply.data["channelRoi"]["campaigns"]}
    assert campaigns["b-web"]["costGroup"] is None
    sources = {s["source"]: s for s in reply.data["channelRoi"]["sources"]}
    assert sources["WEBSITE"]["campaignsWithoutRate"] == 1
    assert sources["WEBSITE"]["cost"] == money("0.00")


@pytest.mark.parametrize("username", ["acme.admin", "acme.director", "acme.auditor"])
def test_hq_sees_the_same_figures(graphql, channels, username):
    reply = ask(graphql, username)
    assert reply.errors == []
    assert reply.data["channelRoi"]["total"]["wonRevenue"] == money("21800.00")


@pytest.mark.parametrize(
    "username", ["acme.de.sales", "acme.de.finance", "acme.de.legal", "acme.steward"]
)
def test_others_may_not_see_it(graphql, channels, username):
    reply = ask(graphql, username)
    assert reply.codes == ["PERMISSION_DENIED"]
    assert reply.data is None
    # Salespeople and finance see other dashboards: this one's field is named.
    named = username in ("acme.de.sales", "acme.de.finance")
    assert reply.errors[0]["extensions"].get("field") == ("channel_roi" if named else None)


def test_a_hidden_campaign_cost_refuses_the_dashboard(graphql, channels):
    change = RuleChange(
        object_type="campaign",
        role="bu_manager",
        stage="",
        scope="bu",
        actions=("view", "create", "edit", "delete"),
        default_field_mode="write",
        field_modes={"cost": "hidden"},
    )
    policy_update(access=access_as("acme.admin", "acme.hq"), changes=[change], note="secret")
    reply = ask(graphql)
    assert reply.codes == ["FIELD_FORBIDDEN"]
    assert reply.errors[0]["extensions"]["name"] == "cost"


def test_a_team_scope_reaches_the_teams_leads_and_deals(graphql, channels):
    """With the insight rule at team scope, a manager leading no team sees only their own."""
    change = RuleChange(object_type="insight", role="bu_manager", stage="", scope="bu", remove=True)
    team = RuleChange(
        object_type="insight", role="bu_manager", stage="", scope="team", actions=("view",)
    )
    policy_update(access=access_as("acme.admin", "acme.hq"), changes=[change, team], note="t")
    with schema_context(DE):
        won_deal(days_ago(0), "77.00", owner="acme.de.manager")
    reply = ask(graphql)
    assert reply.errors == []
    total = reply.data["channelRoi"]["total"]
    assert (total["leads"], total["won"], total["wonRevenue"]) == (0, 1, money("77.00"))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-03-01", "2026-02-01", "from"),
        ("2000-01-01", "2020-01-01", "from"),
        ("1899-12-31", "1900-01-05", "from"),
    ],
)
def test_bad_periods_are_typed_errors(graphql, channels, start, end, field):
    reply = graphql(ROI, {"from": start, "to": end}, bu="acme.de", as_="acme.de.manager")
    assert reply.codes == ["INVALID_ARGUMENT"]
    assert reply.errors[0]["extensions"]["field"] == field


def test_a_date_that_is_no_date_is_refused(graphql, channels):
    reply = graphql(
        ROI, {"from": "2026-13-01", "to": "2026-12-01"}, bu="acme.de", as_="acme.de.manager"
    )
    assert reply.data is None
    assert "from" in reply.errors[0]["message"]


def test_another_business_unit_or_group_sees_nothing_of_it(graphql, channels, settings):
    settings.REGION = "ap"
    reply = ask(graphql, holder("bu_manager", "acme.jp"), bu="acme.jp")
    assert reply.errors == []
    found = reply.data["channelRoi"]
    assert found["sources"] == []
    assert found["campaigns"] == []
    assert found["total"]["wonRevenue"] == money("0.00")
    settings.REGION = "cn"
    rival = ask(graphql, "rival.admin", bu="rival.main").data["channelRoi"]
    assert (rival["sources"], rival["campaigns"], rival["currency"]) == ([], [], "USD")
