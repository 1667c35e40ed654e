"""The dashboards' group views across real cells: HQ (cn) asks eu and ap over HTTP, signed, for
their RFM segments and receivables aging; each BU's row is exactly what its own cell computes,
and the group's totals add the cells up.

The cells are shared by the whole session (other tests write into the same BUs), so what each
cell holds is computed in that cell at the moment of the check, and what is seeded here is
checked to be inside it. The customers seeded are golden records made at HQ and replicated into
every cell, as the other group views (the receivables exposure) expect of any BU account.
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

import pytest

from crm.tests.creditcontrol.cells_seed import golden_everywhere
from crm.tests.fixtures.cells import Cell, Cells

pytestmark = pytest.mark.cells

QUERY = """{
  groupRfm { complete cells { region status businessUnits }
             rows { region businessUnit segment customers orders monetary { amount } } }
  groupReceivablesAging(asOf: null) { asOf complete currency invoices
    total { total { amount } } unapplied { amount }
    rows { region businessUnit invoices buckets { total { amount } daysOver90 { amount } }
           unapplied { amount } } } }"""

SEED = """
import datetime, json
from decimal import Decimal
from django_tenants.utils import schema_context
from crm.tenants.ledger.models import Invoice, Order, Payment
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit

spec = json.loads(SPEC)
unit = BusinessUnit.objects.select_related("group").get(group__code="lumina", code=spec["bu"])
today = unit.today()
money = dict(currency="CNY", group_currency="CNY", fx_rate=Decimal(1), fx_rate_type="SPOT")
with schema_context(unit.schema_name):
    account = LocalCustomer.objects.create(customer_id=spec["customer"], local_code=spec["tag"])
    for number, days in enumerate(spec["orders"]):
        day = today - datetime.timedelta(days=days)
        order = Order.objects.create(
            number=f"{spec['tag']}-{number}", account=account, order_date=day, confirmed=True,
            status="DELIVERED", net_total=Decimal("100.00"), total=Decimal("100.00"),
            total_group=Decimal("100.00"),
            invoiced_amount=Decimal("100.00"), fx_date=day, fx_rate_date=day, **money,
        )
    issued = today - datetime.timedelta(days=130)
    Invoice.objects.create(
        number=spec["tag"], order=order, account=account, status="ISSUED", issue_date=issued,
        due_date=issued + datetime.timedelta(days=30), net_total=Decimal("100.00"),
        total=Decimal("100.00"),
        total_group=Decimal("100.00"), open_amount=Decimal("100.00"),
        open_amount_group=Decimal("100.00"), fx_date=issued, fx_rate_date=issued, **money,
    )
    received = today - datetime.timedelta(days=2)
    Payment.objects.create(
        number=spec["tag"], payer=account, received_on=received, amount=Decimal(spec["paid"]),
        amount_group=Decimal(spec["paid"]), unallocated_amount=Decimal(spec["paid"]),
        fx_date=received, fx_rate_date=received, **money,
    )
print("SEEDED")
"""

FIGURES = """
import datetime, json
from django_tenants.utils import schema_context
from crm.tenants.insights.rfm import compute_rfm
from crm.tenants.ledger.receivables import compute_aging
from crm.tenants.models import BusinessUnit

spec = json.loads(SPEC)
unit = BusinessUnit.objects.select_related("group").get(group__code="lumina", code=spec["bu"])
day = datetime.date.fromisoformat(spec["as_of"])
with schema_context(unit.schema_name):
    segments = {
        s.segment.value: [s.customers, s.orders, str(s.monetary)]
        for s in compute_rfm(unit, as_of=day).segments() if s.customers
    }
    aging = compute_aging(unit, as_of=day)
print("FIGURES" + json.dumps({
    "segments": segments,
    "invoices": sum(row.invoices for row in aging.rows),
    "total": str(aging.total_group),
    "over_90": str(aging.buckets_group()["days_over_90"]),
    "unapplied": str(sum(row.unapplied_group for row in aging.rows)),
}))
"""


def _in(cell: Cell, code: str, spec: dict[str, Any]) -> str:
    return cell.python(f"SPEC = {json.dumps(json.dumps(spec))}\n{code}")


def figures_of(cell: Cell, bu: str, as_of: str) -> dict[str, Any]:
    out = _in(cell, FIGURES, {"bu": bu, "as_of": as_of})
    found: dict[str, Any] = json.loads(out.split("FIGURES", 1)[1])
    return found


def test_hq_adds_up_the_rfm_segments_and_aging_of_every_cell(cells: Cells) -> None:
    directory = cells.seed_directory()
    tag = f"ins{secrets.token_hex(3)}"
    seeded = {
        "eu": {"bu": "de", "orders": [3, 40, 70], "paid": "300.00"},
        "ap": {"bu": "jp", "orders": [200], "paid": "50.00"},
    }
    for region, spec in seeded.items():
        # A golden customer made at HQ and replicated as it is (the receivables aggregate of
        # the same cells names every customer with something open by its golden code).
        code = f"{tag}-{spec['bu']}".upper()
        spec.update(tag=code, customer=golden_everywhere(cells, code, None))
        assert "SEEDED" in _in(cells[region], SEED, spec)
    reply = cells["cn"].graphql(QUERY, bu="lumina.hq", token=directory.token("cn"), timeout=60)
    assert reply.errors == [], reply.errors
    rfm, aging = reply.data["groupRfm"], reply.data["groupReceivablesAging"]
    assert rfm["complete"] is True
    assert aging["complete"] is True
    assert {c["region"]: (c["status"], c["businessUnits"]) for c in rfm["cells"]} == {
        "cn": ("OK", ["hq"]),
        "eu": ("OK", ["de"]),
        "ap": ("OK", ["jp"]),
    }
    as_of = aging["asOf"]
    rows = {row["businessUnit"]: row for row in aging["rows"]}
    assert {row["region"] for row in aging["rows"]} == {"cn", "eu", "ap"}
    for bu, region in (("hq", "cn"), ("de", "eu"), ("jp", "ap")):
        held = figures_of(cells[region], bu, as_of)
        segments = {
            row["segment"]: [row["customers"], row["orders"], Decimal(row["monetary"]["amount"])]
            for row in rfm["rows"]
            if row["businessUnit"] == bu
        }
        assert segments == {
            code: [customers, orders, Decimal(monetary)]
            for code, (customers, orders, monetary) in held["segments"].items()
        }, bu
        assert rows[bu]["invoices"] == held["invoices"], bu
        assert Decimal(rows[bu]["buckets"]["total"]["amount"]) == Decimal(held["total"]), bu
        assert Decimal(rows[bu]["unapplied"]["amount"]) == Decimal(held["unapplied"]), bu
        if bu != "hq":  # what was seeded here is in it: 100.00 over 90 days, the customer
            assert Decimal(rows[bu]["buckets"]["daysOver90"]["amount"]) >= Decimal("100.00")
            assert sum(count for count, _orders, _paid in segments.values()) >= 1
    assert aging["currency"] == "CNY"
    assert aging["invoices"] == sum(row["invoices"] for row in aging["rows"])
    assert Decimal(aging["total"]["total"]["amount"]) == sum(
        Decimal(row["buckets"]["total"]["amount"]) for row in aging["rows"]
    )
    assert Decimal(aging["unapplied"]["amount"]) == sum(
        Decimal(row["unapplied"]["amount"]) for row in aging["rows"]
    )
