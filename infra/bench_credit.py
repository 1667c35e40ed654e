"""The credit check across three real cells: a customer's group-wide exposure before an order
of the German BU is confirmed.

Starts three cells (cn = the group's home with lumina.hq, eu with lumina.de, ap with lumina.jp)
the way the test harness does (`crm.tests.fixtures.cells`: own databases cloned from a migrated
template, gunicorn on loopback, one worker with 4 threads each), seeds the group `lumina`, a
golden customer with a credit limit (replicated into every cell as-is), and in each of the three
BUs a ledger of BENCH_CREDIT_ORDERS orders (default 100,000) over BENCH_CREDIT_ACCOUNTS accounts
(default 2,000; the customer's among them), an invoice per invoiced order (a fifth of them open)
and unapplied payments, with set-based INSERTs. Then it times, from the eu cell:

- the credit check itself (`credit_check` on an order of the customer, in the eu cell's own
  process: its BU computed in-process, cn and ap asked concurrently over signed HTTP, one
  deadline), in a transaction rolled back each round;
- `orderConfirm` through the eu cell's GraphQL endpoint over HTTP (the check, then the
  confirmation and its integration event), one new order per round.

Prints median and p95 of each over BENCH_ROUNDS rounds (default 100; 3 warm-up rounds not
counted), each cell's median answer time within the check, and the exposure found; the target
is the check's p95 ≤ 500 ms. Everything it started is stopped and its databases dropped.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from typing import Any

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "100"))
ORDERS = int(os.environ.get("BENCH_CREDIT_ORDERS", "100000"))
ACCOUNTS = int(os.environ.get("BENCH_CREDIT_ACCOUNTS", "2000"))
WARM_UP = 3
TARGET_MS = 500.0
CUSTOMER = "BENCH-CREDIT"
LIMIT = "1000000000.00"
BUSINESS_UNITS = {"cn": "hq", "eu": "de", "ap": "jp"}

# A BU's ledger, set-based (inside the BU's schema; integers are this file's constants).
LEDGER = """
import json, time
from django.db import connection
from django_tenants.utils import schema_context
from crm.tenants.models import BusinessUnit

spec = json.loads(SPEC)
unit = BusinessUnit.objects.get(group__code="lumina", code=spec["bu"])
orders, accounts = spec["orders"], spec["accounts"]
converted = "currency, group_currency, fx_date, fx_rate, fx_rate_date, fx_rate_type"
started = time.perf_counter()
with schema_context(unit.schema_name), connection.cursor() as cursor:
    cursor.execute("SET session_replication_role = replica")
    cursor.execute(f'''
        INSERT INTO localcustomers_localcustomer (customer_id, local_code, local_name,
            payment_terms, former_codes, classification, notes, custom, created_at, updated_at)
        SELECT 1000000000 + i, 'B-' || i, 'Kunde ' || i, '30 Tage netto', '{{}}', 'B', '',
               '{{}}', now(), now()
        FROM generate_series(1, {accounts - 1}) AS i''')
    cursor.execute(f'''
        INSERT INTO ledger_order (number, account_id, contract_number, external_reference,
            customer_reference, notes, status, invoice_basis, order_date, confirmed,
            confirmed_by, net_total, tax_total, total, total_group, invoiced_amount,
            {converted}, created_at, updated_at)
        SELECT 'BO-' || lpad(o::text, 8, '0'), a.ids[1 + o % {accounts}], '', '', '', '',
               'DELIVERED', 'DELIVERED', current_date - (o % 700), true, 'bench',
               100 + o % 900, 0, 100 + o % 900, 100 + o % 900,
               CASE WHEN o % 10 = 0 THEN 0 ELSE 100 + o % 900 END,
               'CNY', 'CNY', current_date - (o % 700), 1, current_date - (o % 700), 'SPOT',
               now(), now()
        FROM generate_series(1, {orders}) AS o,
             (SELECT array_agg(id ORDER BY id) FROM localcustomers_localcustomer) AS a(ids)''')
    cursor.execute(f'''
        INSERT INTO ledger_invoice (number, order_id, account_id, status, notes, issue_date,
            due_date, payment_terms, payment_days, net_total, tax_total, total, total_group,
            credited_amount,
            paid_amount, open_amount, open_amount_group, last_settled_on, closed_on,
            {converted}, created_at, updated_at)
        SELECT 'BI-' || substr(o.number, 4), o.id, o.account_id,
               CASE WHEN o.id % 5 = 0 THEN 'ISSUED' ELSE 'PAID' END, '', o.order_date,
               o.order_date + 30, '30 Tage netto', 30, o.total, 0, o.total, o.total, 0,
               CASE WHEN o.id % 5 = 0 THEN 0 ELSE o.total END,
               CASE WHEN o.id % 5 = 0 THEN o.total ELSE 0 END,
               CASE WHEN o.id % 5 = 0 THEN o.total ELSE 0 END,
               CASE WHEN o.id % 5 = 0 THEN NULL ELSE o.order_date END,
               CASE WHEN o.id % 5 = 0 THEN NULL ELSE o.order_date END,
               'CNY', 'CNY', o.order_date, 1, o.order_date, 'SPOT', now(), now()
        FROM ledger_order AS o WHERE o.invoiced_amount > 0''')
    cursor.execute(f'''
        INSERT INTO ledger_payment (number, payer_id, received_on, reference,
            external_reference, amount, amount_group, allocated_amount, unallocated_amount,
            last_allocated_on, allocated_in_full_on, {converted}, created_at)
        SELECT 'BP-' || lpad(i::text, 8, '0'), a.ids[1 + i % {accounts}],
               current_date - (i % 300), 'bench', '', 50, 50, 0, 50, NULL, NULL,
               'CNY', 'CNY', current_date - (i % 300), 1, current_date - (i % 300), 'SPOT', now()
        FROM generate_series(1, {orders // 10}) AS i,
             (SELECT array_agg(id ORDER BY id) FROM localcustomers_localcustomer) AS a(ids)''')
    cursor.execute("SET session_replication_role = DEFAULT")
    for table in ("localcustomers_localcustomer", "ledger_order", "ledger_invoice",
                  "ledger_payment"):
        cursor.execute(f"VACUUM ANALYZE {table}")
    cursor.execute("SELECT (SELECT count(*) FROM ledger_order), (SELECT count(*) FROM "
                   "ledger_invoice), (SELECT count(*) FROM ledger_payment)")
    counts = cursor.fetchone()
print(MARK + json.dumps({"seconds": time.perf_counter() - started, "counts": counts}))
"""

# The check itself, timed in the eu cell's process.
CHECK = """
import json, statistics, time
from django.db import transaction
from django_tenants.utils import schema_context
from crm.masterdata.customers.models import Customer
from crm.platform.accounts.authentication import user_principal
from crm.platform.accounts.models import User
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import load_policy
from crm.tenants.creditcontrol.check import credit_check
from crm.tenants.creditcontrol.exposure import credit_exposure
from crm.tenants.ledger.models import Order
from crm.tenants.models import BusinessUnit

spec = json.loads(SPEC)
unit = BusinessUnit.objects.select_related("group").get(group__code="lumina", code="de")
access = Access(
    user_principal(User.objects.get(username=spec["user"])), unit, load_policy(unit.group_id)
)
customer = Customer.objects.get(group=unit.group, code=spec["customer"])
samples = []
with schema_context(unit.schema_name):
    order = Order.objects.select_related("account").get(pk=spec["order"])
    for round_ in range(spec["rounds"] + spec["warm_up"]):
        with transaction.atomic():
            started = time.perf_counter()
            credit_check(order, access)
            elapsed = (time.perf_counter() - started) * 1000
            transaction.set_rollback(True)
        if round_ >= spec["warm_up"]:
            samples.append(elapsed)
    cells = {}
    for _ in range(20):
        exposure = credit_exposure(customer)
        assert exposure.complete, exposure.missing_cells()
        for cell in exposure.cells:
            cells.setdefault(cell.region, []).append(cell.elapsed_ms)
result = {
    "samples": samples,
    "cells": {region: statistics.median(values) for region, values in cells.items()},
    "exposure": str(exposure.total),
    "per_bu": {part.business_unit: str(part.total) for part in exposure.business_units},
}
print(MARK + json.dumps(result))
"""

CONFIRM = """mutation($id: ID!) { orderConfirm(id: $id) {
  errors { code message } order { confirmed } } }"""


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def _line(label: str, samples: list[float]) -> str:
    return f"{label:62s} median {statistics.median(samples):6.1f} ms  p95 {_p95(samples):6.1f} ms"


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.tests.settings")
    os.environ.setdefault("TEST_DATABASE_NAME", "crm_bench_credit")
    import django

    django.setup()
    from graphql_relay import to_global_id

    from crm.infra import services
    from crm.tests.creditcontrol.cells_seed import (
        golden_everywhere,
        orders_in,
        run,
    )
    from crm.tests.fixtures.cells import Cells

    services.postgres_up()
    services.redis_up()
    cells = Cells(regions=("cn", "eu", "ap"))
    started = time.perf_counter()
    cells.set_up()
    try:
        directory = cells.seed_directory()
        print(f"cells cn, eu and ap up and seeded in {time.perf_counter() - started:.0f} s")
        golden_everywhere(cells, CUSTOMER, LIMIT)
        for region, bu in BUSINESS_UNITS.items():
            # The customer's account first, then the bulk ledger (the customer's among it).
            orders_in(cells[region], bu, CUSTOMER, [(f"{CUSTOMER}-{bu}", "1000.00", True)])
            loaded: dict[str, Any] = run(
                cells[region], LEDGER, {"bu": bu, "orders": ORDERS, "accounts": ACCOUNTS}
            )
            counts = ", ".join(f"{n:,}" for n in loaded["counts"])
            print(
                f"{region}: lumina.{bu} loaded in {loaded['seconds']:.0f} s "
                f"(orders, invoices, payments: {counts})"
            )
        eu = cells["eu"]
        numbers = [(f"{CUSTOMER}-C{n:04d}", "10.00", False) for n in range(ROUNDS + WARM_UP + 1)]
        ids = orders_in(eu, "de", CUSTOMER, numbers)
        checked = ids[numbers[0][0]]
        measured: dict[str, Any] = run(
            eu,
            CHECK,
            {
                "user": "lumina.de.manager",
                "customer": CUSTOMER,
                "order": checked,
                "rounds": ROUNDS,
                "warm_up": WARM_UP,
            },
        )
        check = list(measured["samples"])
        token = directory.token("eu", "lumina.de.manager")
        business_unit = directory.business_units["de"]
        confirms: list[float] = []
        for index, (number, _amount, _confirmed) in enumerate(numbers[1:]):
            order = to_global_id("Order", f"{business_unit}.{ids[number]}")
            began = time.perf_counter()
            reply = eu.graphql(CONFIRM, {"id": order}, bu="lumina.de", token=token, timeout=60)
            elapsed = (time.perf_counter() - began) * 1000
            payload = reply.data["orderConfirm"] if reply.data else None
            if reply.errors or not payload or payload["errors"]:
                raise RuntimeError(f"orderConfirm refused: {reply.body}")
            if index >= WARM_UP:
                confirms.append(elapsed)
        print(
            f"exposure of {CUSTOMER}: {measured['exposure']} CNY "
            f"({json.dumps(measured['per_bu'])}); {ROUNDS} rounds each"
        )
        print(
            "each cell's answer within the check (median, from the start of the fan-out): "
            + ", ".join(f"{region} {ms:.0f} ms" for region, ms in sorted(measured["cells"].items()))
        )
        print(_line("credit check from eu (de in-process, cn and ap over HTTP)", check))
        print(_line("orderConfirm over HTTP in eu (check + confirmation)", confirms))
        worst = _p95(check)
        print(f"credit check p95 {worst:.1f} ms (target ≤ {TARGET_MS:.0f} ms)")
    finally:
        cells.tear_down()
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
