"""The group-wide performance and funnel across real cells: HQ (cn) asks eu and ap over HTTP;
each BU's figures at HQ are what its own cell's database holds and computes; the cells' answers
name no person.

The cells are shared by the whole session, so expected figures are read from each cell at the
moment of the check.
"""

from __future__ import annotations

import datetime
import json
import secrets
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from crm.regions.federation.contract import AggregateRequest
from crm.tests.fixtures.cells import Cells
from crm.tests.groupviews.test_cells import post_signed

pytestmark = pytest.mark.cells

SEED = """
import json
from django.utils import timezone
from django_tenants.utils import schema_context
from crm.masterdata.sales.models import StageKind
from crm.platform.accounts.authentication import user_principal
from crm.platform.accounts.models import Team, User
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import load_policy
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities import services
from crm.tenants.opportunities.models import Opportunity, OpportunityEvent, Stage
from crm.tenants.performance.models import Target

spec = json.loads(SPEC)
unit = BusinessUnit.objects.select_related("group").get(group__code="lumina", code=spec["bu"])
manager = User.objects.get(username=spec["manager"])
seller = User.objects.get(username=spec["seller"])
access = Access(user_principal(manager), unit, load_policy(unit.group_id))
team, _ = Team.objects.get_or_create(group=unit.group, business_unit=unit, name=spec["team"])
team.members.add(seller)
today = unit.today()
with schema_context(unit.schema_name):
    account = LocalCustomer.objects.create(
        customer_id=spec["customer"], local_code=spec["tag"], local_name=spec["tag"] + " AG"
    )
    for deal in spec["deals"]:
        made = services.create_opportunity(
            access, name=deal["name"], account=account, owner_id=seller.pk,
            amount=deal["amount"], currency="CNY", expected_close=today,
        )
        if deal["outcome"] == "OPEN":
            continue
        # Closed as the services would (their entry conditions are not what is tested here).
        stage = Stage.objects.get(pipeline=made.pipeline, kind=deal["outcome"])
        Opportunity.objects.filter(pk=made.pk).update(
            stage=stage, stage_code=stage.code, status=deal["outcome"], closed_on=today,
            stage_entered_at=timezone.now(),
        )
        OpportunityEvent.objects.create(
            opportunity=made, kind="CLOSED", from_stage=made.stage_code, to_stage=stage.code,
        )
    Target.objects.get_or_create(
        subject="BUSINESS_UNIT", period="MONTH", period_start=today.replace(day=1),
        metric="WON_DEALS", defaults={"deal_count": 50},
    )
print("SEEDED")
"""

CLOSED = """
SELECT coalesce(sum(amount_group) FILTER (WHERE status = 'WON'), 0),
       count(*) FILTER (WHERE status = 'WON'), count(*) FILTER (WHERE status = 'LOST')
FROM {schema}.opportunities_opportunity
WHERE status IN ('WON', 'LOST') AND closed_on BETWEEN %s AND %s
"""

PERFORMANCE = """query($start: Date!) { groupPerformance(period: MONTH, start: $start) {
  complete missingRegions cells { region status detail }
  businessUnits { rank region businessUnit team won { amount currency } wonDeals lostDeals
    dealsTarget }
  teams { businessUnit team teamName won { amount } wonDeals } } }"""
FUNNEL = """query($from: Date!, $to: Date!) { groupFunnel(from: $from, to: $to) {
  complete missingRegions cells { region status }
  rows { region businessUnit pipeline stage period entered converted won lost open } } }"""


def test_hq_sees_each_cells_performance_and_funnel_and_no_person(cells: Cells) -> None:
    directory = cells.seed_directory()
    tag = f"ds{secrets.token_hex(3)}"
    specs = {
        "eu": {
            "bu": "de",
            "manager": "lumina.de.manager",
            "seller": "lumina.de.sales",
            "deals": [("WON", "1000.00"), ("WON", "234.56"), ("LOST", "5.00"), ("OPEN", "7")],
        },
        "ap": {
            "bu": "jp",
            "manager": "lumina.jp.manager",
            "seller": "lumina.jp.sales",
            "deals": [("WON", "5000.00")],
        },
    }
    for region, spec in specs.items():
        payload = {
            "bu": spec["bu"],
            "manager": spec["manager"],
            "seller": spec["seller"],
            "team": f"Team {tag}",
            "tag": f"{tag}-{spec['bu']}",
            "customer": 920_000_001 + secrets.randbelow(10**6),
            "deals": [
                {"name": f"Deal {tag} Erika {n}", "outcome": outcome, "amount": amount}
                for n, (outcome, amount) in enumerate(spec["deals"])
            ],
        }
        code = f"SPEC = {json.dumps(json.dumps(payload))}\n{SEED}"
        assert "SEEDED" in cells[region].python(code)

    today = datetime.datetime.now(datetime.UTC).date()
    start = today.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    token = directory.token("cn")
    reply = cells["cn"].graphql(
        PERFORMANCE, {"start": start.isoformat()}, bu="lumina.hq", token=token, timeout=60
    )
    assert reply.errors == [], reply.errors
    view = reply.data["groupPerformance"]
    assert view["complete"] is True, view["cells"]
    units = {row["businessUnit"]: row for row in view["businessUnits"]}
    for bu, region in (("de", "eu"), ("jp", "ap")):
        amount, won, lost = cells[region].sql(
            CLOSED.format(schema=f"bu_lumina_{bu}"), (start, end)
        )[0]
        row = units[bu]
        assert row["region"] == region
        assert Decimal(row["won"]["amount"]) == amount, bu
        assert (row["wonDeals"], row["lostDeals"], row["dealsTarget"]) == (won, lost, 50), bu
        assert row["won"]["currency"] == "CNY"
    assert units["de"]["wonDeals"] >= 2
    assert Decimal(units["de"]["won"]["amount"]) >= Decimal("1234.56")
    teams = {(t["businessUnit"], t["teamName"]): t for t in view["teams"]}
    assert teams[("de", f"Team {tag}")]["wonDeals"] >= 2
    assert teams[("de", f"Team {tag}")]["team"].startswith("team-")

    # The funnel's days are HQ's (Shanghai): up to HQ's today, which may be tomorrow in UTC.
    hq_today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    days = {"from": start.isoformat(), "to": hq_today.isoformat()}
    reply = cells["cn"].graphql(FUNNEL, days, bu="lumina.hq", token=token, timeout=60)
    assert reply.errors == [], reply.errors
    funnel = reply.data["groupFunnel"]
    assert funnel["complete"] is True
    at_hq = {
        (r["pipeline"], r["stage"], r["period"]): (
            r["entered"],
            r["converted"],
            r["won"],
            r["lost"],
            r["open"],
        )
        for r in funnel["rows"]
        if r["businessUnit"] == "de"
    }
    # What the eu cell itself answers for the same request, asked over its internal endpoint.
    parameters = {**days, "granularity": "MONTH", "time_zone": "Asia/Shanghai"}
    body = AggregateRequest("lumina", "funnel", parameters, hq_today, "eu").to_bytes()
    status, text = post_signed(
        cells["eu"], "funnel", body, cells.signing_keys, cells.signing_key_id
    )
    assert status == 200, text
    answer = json.loads(text)
    in_cell = {
        (r["pipeline"], r["stage"], r["period"]): (
            r["entered"],
            r["converted"],
            r["won"],
            r["lost"],
            r["open"],
        )
        for r in answer["rows"]
    }
    assert at_hq == in_cell
    this_month = start.strftime("%Y-%m")
    won_here = [
        v for (_p, stage, period), v in at_hq.items() if (stage, period) == ("won", this_month)
    ]
    assert sum(entered for entered, *_rest in won_here) >= 2, at_hq
    for sent in (text, json.dumps(reply.body)):
        for personal in ("lumina.de.sales", "Erika", tag + "-de", f"Deal {tag}"):
            assert personal not in sent
