"""Group views across real cells: HQ (cn) asks eu and ap over HTTP, signed; the totals equal
what each cell's own database holds; a cell that is down or hangs is listed as missing, the
others' figures stay; the internal endpoint refuses unsigned requests and carries no personal
data.

The cells are shared by the whole session and other tests write into the same BUs, so expected
figures are read from each cell's database at the moment of the check (straight SQL), and the
deals and leads seeded here are checked to be inside them.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from crm.regions.federation.contract import SIGNING_PURPOSE, AggregateRequest
from crm.regions.signing import sign
from crm.tests.fixtures.cell_directory import Directory
from crm.tests.fixtures.cells import Cell, Cells
from crm.tests.groupviews.helpers import hq_today, period, pipeline_at

pytestmark = pytest.mark.cells

PIPELINE = """{ groupPipeline {
  complete missingRegions currency
  cells { region status elapsedMs detail businessUnits }
  rows { region businessUnit stage count amount { amount currency } withoutGroupAmount }
  total { count amount { amount } withoutGroupAmount } } }"""
LEAD_SOURCES = """query($from: Date!, $to: Date!) { groupLeadSources(from: $from, to: $to) {
  complete missingRegions cells { region status }
  rows { region businessUnit source leads open converted invalid won } } }"""
RECEIVABLES = """{ groupReceivables { complete available unavailableReasons
  cells { region status detail } customers { customer } } }"""

SEED = """
import json
from django_tenants.utils import schema_context
from crm.masterdata.sales.models import LeadSource
from crm.platform.accounts.authentication import user_principal
from crm.platform.accounts.models import User
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import load_policy
from crm.tenants.leads.models import Lead
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities import services

spec = json.loads(SPEC)
unit = BusinessUnit.objects.select_related("group").get(group__code="lumina", code=spec["bu"])
user = User.objects.get(username=spec["user"])
access = Access(user_principal(user), unit, load_policy(unit.group_id))
sources = dict(LeadSource.objects.filter(group=unit.group).values_list("code", "pk"))
with schema_context(unit.schema_name):
    # The golden customer lives at HQ; a pipeline never reads it.
    account = LocalCustomer.objects.create(
        customer_id=spec["customer"], local_code=spec["tag"], local_name=spec["tag"] + " AG"
    )
    for deal in spec["deals"]:
        made = services.create_opportunity(
            access,
            name=deal["name"],
            account=account,
            amount=deal["amount"],
            currency=deal["currency"],
            expected_close=unit.today(),
        )
        if deal.get("stage"):
            services.advance(access, made, deal["stage"], "seeded")
    for lead in spec["leads"]:
        Lead.objects.create(
            first_name=lead["first_name"],
            last_name=lead["last_name"],
            email=lead["email"],
            company_name=lead["company"],
            source_id=sources.get(lead["source"]),
            owner=user,
        )
print("SEEDED")
"""

OPEN_DEALS = """
SELECT stage_code, count(*), coalesce(sum(amount_group), 0),
       count(*) FILTER (WHERE amount_group IS NULL)
FROM {schema}.opportunities_opportunity WHERE status = 'OPEN' GROUP BY stage_code
"""


def seed(cell: Cell, spec: dict[str, Any]) -> None:
    code = f"SPEC = {json.dumps(json.dumps(spec))}\n{SEED}"
    assert "SEEDED" in cell.python(code)


def _tag() -> str:
    return f"gv{secrets.token_hex(3)}"


@pytest.fixture(scope="module")
def seeded(cells: Cells) -> dict[str, Any]:
    """Deals and leads in lumina.de (eu) and lumina.jp (ap), with personal data in the leads."""
    directory = cells.seed_directory()
    tag = _tag()
    people = {
        "eu": ("Erika", f"Mustermann{tag}", f"erika.{tag}@example.de"),
        "ap": ("Hanako", f"Yamada{tag}", f"hanako.{tag}@example.jp"),
    }
    specs = {
        "eu": {
            "bu": "de",
            "user": "lumina.de.manager",
            "tag": f"{tag}-de",
            "customer": 900_000_001 + secrets.randbelow(10**6),
            "deals": [
                {"name": f"Deal {tag} Erika", "amount": "1000.00", "currency": "CNY"},
                {"name": f"Deal {tag} B", "amount": "234.56", "currency": "CNY"},
                # No EUR rate in this cell: counted, not valued.
                {"name": f"Deal {tag} C", "amount": "99.00", "currency": "EUR"},
            ],
            "leads": [
                {"source": "WEBSITE", "company": f"Muster {tag} GmbH"},
                {"source": "WEBSITE", "company": f"Muster {tag} KG"},
                {"source": "TRADE_FAIR", "company": f"Messe {tag} AG"},
            ],
        },
        "ap": {
            "bu": "jp",
            "user": "lumina.jp.manager",
            "tag": f"{tag}-jp",
            "customer": 910_000_001 + secrets.randbelow(10**6),
            "deals": [
                {
                    "name": f"Deal {tag} Hanako",
                    "amount": "5000.00",
                    "currency": "CNY",
                    "stage": "needs_analysis",
                }
            ],
            "leads": [{"source": "WEBSITE", "company": f"Yamada {tag} KK"}],
        },
    }
    for region, spec in specs.items():
        first, last, email = people[region]
        for lead in spec["leads"]:
            lead.update(first_name=first, last_name=last, email=email)
        seed(cells[region], spec)
    return {"directory": directory, "tag": tag, "people": people, "specs": specs}


def hq(cells: Cells, directory: Directory, query: str, variables: Any = None) -> dict[str, Any]:
    reply = cells["cn"].graphql(
        query, variables, bu="lumina.hq", token=directory.token("cn"), timeout=60
    )
    assert reply.errors == [], reply.errors
    data: dict[str, Any] = reply.data
    return data


def open_deals(cell: Cell, bu: str) -> dict[str, tuple[int, str, int]]:
    """Per stage code: (count, sum of group amounts, count without one), read straight."""
    rows = cell.sql(OPEN_DEALS.format(schema=f"bu_lumina_{bu}"))
    return {stage: (count, f"{amount:.2f}", without) for stage, count, amount, without in rows}


def pipeline_of(view: dict[str, Any], bu: str) -> dict[str, tuple[int, str, int]]:
    return {
        row["stage"]: (row["count"], row["amount"]["amount"], row["withoutGroupAmount"])
        for row in view["rows"]
        if row["businessUnit"] == bu and row["count"]
    }


def test_hq_combines_the_pipelines_of_every_cell(cells: Cells, seeded: dict[str, Any]) -> None:
    view = hq(cells, seeded["directory"], PIPELINE)["groupPipeline"]
    assert view["complete"] is True
    assert view["missingRegions"] == []
    assert view["currency"] == "CNY"
    statuses = {cell["region"]: cell["status"] for cell in view["cells"]}
    assert statuses == {"cn": "OK", "eu": "OK", "ap": "OK"}
    units = {cell["region"]: cell["businessUnits"] for cell in view["cells"]}
    assert units == {"cn": ["hq"], "eu": ["de"], "ap": ["jp"]}
    # Each BU's figures are exactly what its own cell's database holds.
    for bu, region in (("hq", "cn"), ("de", "eu"), ("jp", "ap")):
        assert pipeline_of(view, bu) == open_deals(cells[region], bu), bu
        assert {row["region"] for row in view["rows"] if row["businessUnit"] == bu} == {region}
    de, jp = pipeline_of(view, "de"), pipeline_of(view, "jp")
    assert de["qualification"][0] >= 3
    assert de["qualification"][2] >= 1  # the EUR deal: no rate in the cell, not valued
    assert jp["needs_analysis"][0] >= 1
    total = sum(row["count"] for row in view["rows"])
    assert view["total"]["count"] == total
    assert Decimal(view["total"]["amount"]["amount"]) == sum(
        Decimal(row["amount"]["amount"]) for row in view["rows"]
    )


def test_hq_combines_the_lead_sources_of_every_cell(cells: Cells, seeded: dict[str, Any]) -> None:
    today = hq_today()  # lumina's HQ is in Shanghai too
    days = {"from": (today - datetime.timedelta(days=1)).isoformat(), "to": today.isoformat()}
    view = hq(cells, seeded["directory"], LEAD_SOURCES, days)["groupLeadSources"]
    assert view["complete"] is True
    by_bu: dict[str, dict[str | None, int]] = {}
    for row in view["rows"]:
        by_bu.setdefault(row["businessUnit"], {})[row["source"]] = row["leads"]
    assert by_bu["de"]["WEBSITE"] >= 2
    assert by_bu["de"]["TRADE_FAIR"] >= 1
    assert by_bu["jp"]["WEBSITE"] >= 1
    assert {row["region"] for row in view["rows"] if row["businessUnit"] == "de"} == {"eu"}


LEDGER_SEED = """
import json
from decimal import Decimal
from django_tenants.utils import schema_context
from crm.masterdata.customers.identity import normalized_name
from crm.masterdata.customers.models import Customer
from crm.tenants.ledger.models import Invoice, Order
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit

spec = json.loads(SPEC)
unit = BusinessUnit.objects.select_related("group").get(group__code="lumina", code="hq")
golden = Customer.objects.create(
    group=unit.group, code=spec["code"], legal_name=spec["code"] + " Ltd",
    normalized_name=normalized_name(spec["code"] + " Ltd"), country="CN",
)
day = unit.today()
converted = dict(currency="CNY", group_currency="CNY", fx_date=day, fx_rate=Decimal(1),
                 fx_rate_date=day, fx_rate_type="SPOT")
with schema_context(unit.schema_name):
    account = LocalCustomer.objects.create(customer_id=golden.pk, local_code=spec["code"])
    order = Order.objects.create(
        number=spec["code"], account=account, order_date=day, confirmed=True,
        total=Decimal("1500.00"),
        net_total=Decimal("1500.00"), total_group=Decimal("1500.00"),
        invoiced_amount=Decimal("1000.00"), **converted,
    )
    Invoice.objects.create(
        number=spec["code"], order=order, account=account, status="ISSUED", issue_date=day,
        due_date=day, total=Decimal("1000.00"),
        net_total=Decimal("1000.00"), total_group=Decimal("1000.00"),
        open_amount=Decimal("1000.00"), open_amount_group=Decimal("1000.00"), **converted,
    )
print("SEEDED")
"""


def test_hq_combines_the_receivables_of_every_cell(cells: Cells, seeded: dict[str, Any]) -> None:
    """The ledger provides the `receivables` aggregate in every cell: each answers (eu and ap
    with what their BUs hold), and a customer's open invoice and order at HQ show exactly."""
    code = f"{seeded['tag']}-AR".upper()
    spec = json.dumps(json.dumps({"code": code}))
    assert "SEEDED" in cells["cn"].python(f"SPEC = {spec}\n{LEDGER_SEED}")
    query = RECEIVABLES.replace(
        "customers { customer }",
        "customers { customer openReceivables { amount } openOrders { amount } }",
    )
    view = hq(cells, seeded["directory"], query)["groupReceivables"]
    assert view["available"] is True
    assert view["complete"] is True
    assert view["unavailableReasons"] == []
    assert {(c["region"], c["status"]) for c in view["cells"]} == {
        ("cn", "OK"),
        ("eu", "OK"),
        ("ap", "OK"),
    }
    found = {c["customer"]: c for c in view["customers"]}
    assert found[code]["openReceivables"]["amount"] == "1000.00"
    assert found[code]["openOrders"]["amount"] == "500.00"


def post_signed(
    cell: Cell,
    aggregate: str,
    body: bytes,
    keys: dict[str, str] | None,
    key_id: str = "",
    *,
    sent: bytes | None = None,
) -> tuple[int, str]:
    """POST body bytes to a cell's internal endpoint, signed with `keys` (or not); `sent`:
    other bytes sent under the body's signature (tampered on the way)."""
    headers = {"Content-Type": "application/json"}
    if keys is not None:
        with override_settings(CELL_SIGNING_KEYS=keys, CELL_SIGNING_KEY_ID=key_id):
            headers.update(sign(body, purpose=SIGNING_PURPOSE))
    request = urllib.request.Request(  # noqa: S310  (a loopback test cell)
        f"{cell.base_url}/internal/aggregates/{aggregate}",
        data=body if sent is None else sent,
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def test_the_cells_answer_carries_no_personal_data(cells: Cells, seeded: dict[str, Any]) -> None:
    today = hq_today()
    for region, aggregate, parameters in (
        ("eu", "pipeline", pipeline_at(today)),
        ("ap", "pipeline", pipeline_at(today)),
        ("eu", "lead_sources", period(today, today)),
        ("ap", "lead_sources", period(today, today)),
    ):
        body = AggregateRequest("lumina", aggregate, parameters, today, region).to_bytes()
        status, text = post_signed(
            cells[region], aggregate, body, cells.signing_keys, cells.signing_key_id
        )
        assert status == 200, text
        answer = json.loads(text)
        assert answer["region"] == region
        assert answer["rows"]
        for value in (
            *seeded["people"]["eu"],
            *seeded["people"]["ap"],
            "lumina.de.manager",
            "lumina.jp.manager",
            seeded["specs"]["eu"]["deals"][0]["name"],
            seeded["specs"]["eu"]["tag"],
            seeded["specs"]["ap"]["tag"],
            seeded["tag"],
        ):
            assert value not in text, (region, aggregate, value)
        for key in ("owner", "email", "phone", "first_name", "last_name", "company"):
            assert f'"{key}' not in text


def test_unsigned_or_wrongly_signed_requests_are_refused(
    cells: Cells, seeded: dict[str, Any]
) -> None:
    today = hq_today()
    body = AggregateRequest("lumina", "pipeline", pipeline_at(today), today, "eu").to_bytes()
    status, text = post_signed(cells["eu"], "pipeline", body, None)
    assert (status, json.loads(text)) == (403, {"refused": "SIGNATURE"})
    status, text = post_signed(cells["eu"], "pipeline", body, {"k1": "not-the-secret"}, "k1")
    assert (status, json.loads(text)) == (403, {"refused": "SIGNATURE"})
    tampered = body.replace(b'"lumina"', b'"lumin4"')
    status, text = post_signed(
        cells["eu"], "pipeline", body, cells.signing_keys, cells.signing_key_id, sent=tampered
    )
    assert (status, json.loads(text)) == (403, {"refused": "SIGNATURE"})
    status, text = post_signed(
        cells["eu"], "pipeline", body, cells.signing_keys, cells.signing_key_id
    )
    assert status == 200


def test_headquarters_only_and_not_for_sales(cells: Cells, seeded: dict[str, Any]) -> None:
    directory = seeded["directory"]
    sales = cells["cn"].graphql(
        PIPELINE, bu="lumina.hq", token=directory.token("cn", "lumina.hq.sales")
    )
    assert sales.codes == ["PERMISSION_DENIED"]
    elsewhere = cells["eu"].graphql(PIPELINE, bu="lumina.de", token=directory.token("eu"))
    assert elsewhere.codes == ["NOT_HEADQUARTERS"]


def test_a_cell_that_is_down_is_reported_missing_and_the_others_stay(
    cells: Cells, seeded: dict[str, Any]
) -> None:
    directory = seeded["directory"]
    cells["ap"].stop()
    try:
        view = hq(cells, directory, PIPELINE)["groupPipeline"]
        assert view["complete"] is False
        assert view["missingRegions"] == ["ap"]
        ap = next(cell for cell in view["cells"] if cell["region"] == "ap")
        assert ap["status"] == "UNREACHABLE"
        assert {row["businessUnit"] for row in view["rows"]} == {"hq", "de"}
        assert pipeline_of(view, "de") == open_deals(cells["eu"], "de")
    finally:
        cells["ap"].start()
    back = hq(cells, directory, PIPELINE)["groupPipeline"]
    assert back["complete"] is True
    assert pipeline_of(back, "jp") == open_deals(cells["ap"], "jp")


def _workers(cell: Cell) -> list[int]:
    """The gunicorn worker processes of a cell (children of the master the harness started)."""
    master = cell._web  # the harness's own process handle
    assert master is not None
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


@pytest.fixture
def hung_eu(cells: Cells) -> Iterator[None]:
    """The eu cell's workers frozen: connections are accepted, nothing answers."""
    workers = _workers(cells["eu"])
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)


def test_a_cell_that_does_not_answer_in_time_is_reported_missing(
    cells: Cells, seeded: dict[str, Any], hung_eu: None
) -> None:
    view = hq(cells, seeded["directory"], PIPELINE)["groupPipeline"]
    assert view["complete"] is False
    assert view["missingRegions"] == ["eu"]
    eu = next(cell for cell in view["cells"] if cell["region"] == "eu")
    assert eu["status"] == "TIMEOUT"
    assert 1900 <= eu["elapsedMs"] < 10_000  # the cells' default deadline is 2 s
    assert {row["businessUnit"] for row in view["rows"]} == {"hq", "jp"}
    assert pipeline_of(view, "jp") == open_deals(cells["ap"], "jp")
