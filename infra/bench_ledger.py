"""`make bench`: the receivables aging of a business unit with a long ledger.

Builds the test world in a fresh `crm_bench_ledger` database (cell `eu`), then loads the acme.de
schema with 2,000 accounts, 100,000 orders (one line each), 300,000 invoices (three per order,
issued one a day back over two years, due after 30 days), 300,000 payments and their
allocations, and credit notes on 1 % of the invoices, with set-based INSERTs. Recent invoices
are half open (some partly paid), older ones mostly settled with a few left long overdue; a
payment per open invoice is on account (unapplied cash). Lines are VAT-exempt (0 %: the tax
plays no part in the aging, which counts the gross). Then it times, in-process:

- the aging statement itself (`compute_aging`) today and 30 days ago,
- the `receivablesAging` GraphQL query (totals and the first page of 100 rows) as the BU's
  finance user, through the whole stack (middleware, policy engine, GraphQL view), today,
- the credit exposure per golden customer (the `receivables` aggregate's provider).

Prints median and p95 of each; the target is the aging as of today ≤ 300 ms (p95, the statement
and the GraphQL query); the aging at an earlier date and the exposure are reported beside it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from crm.infra.bench import drop_database, fresh_database, graphql_client

DATABASE = "crm_bench_ledger"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "50"))
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "2000"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "100000"))
INVOICES = 3 * ORDERS
TARGET_MS = 300.0
GRAPHQL_LABEL = "receivablesAging (GraphQL) as acme.de.finance"
TARGETED = ("aging statement, today", GRAPHQL_LABEL)

# One invoice's figures, from its number i (SQL expressions).
TOTAL = "round(100 + ((i * 37) %% 9000) / 10.0, 2)"
ISSUED = "(current_date - (i %% 730))"
CREDITED = "(CASE WHEN i %% 100 = 5 THEN 10.00 ELSE 0 END)"
# Recent invoices (150 days) are half open, older ones 2 % (long overdue); open ones are
# unpaid or paid by half.
OPEN = "((i %% 730) < 150 AND i %% 2 = 0 OR (i %% 730) >= 150 AND i %% 50 = 7)"
PAID = f"(CASE WHEN NOT {OPEN} THEN {TOTAL} - {CREDITED} WHEN i %% 4 = 0 " + (
    f"THEN round(({TOTAL} - {CREDITED}) / 2, 2) ELSE 0 END)"
)
RATE = f"round(1 / (0.12 + ({ISSUED} - date '2000-01-01') %% 10 * 0.001), 12)"
RECEIVED = f"least({ISSUED} + (i %% 40), current_date)"
CREDITED_ON = f"least({ISSUED} + 5, current_date)"


def _load() -> dict[str, float]:
    """Set-based INSERTs into the shared schema (golden customers) and acme.de's schema."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from crm.tenants.models import BusinessUnit, Group

    group = Group.objects.get(code="acme")
    business_unit = BusinessUnit.objects.get(group=group, code="de")
    timings: dict[str, float] = {}

    def timed(label: str, sql: str, *params: Any) -> None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        timings[label] = timings.get(label, 0.0) + time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no history rows for a load
    timed(
        "golden customers",
        """
        INSERT INTO customers_customer (group_id, code, legal_name, trade_name, normalized_name,
            search_text, country, tax_id, industry, size, classification, grade, status,
            created_at, updated_at)
        SELECT %s, 'L' || lpad(i::text, 8, '0'), 'Kunde ' || i || ' GmbH', '', 'kunde ' || i,
               'kunde ' || i, 'DE', '', 'MACHINERY', '', 'NORMAL', 'C', 'ACTIVE', now(), now()
        FROM generate_series(1, %s) AS i
        """,
        group.pk,
        ACCOUNTS,
    )
    converted = "currency, group_currency, fx_date, fx_rate, fx_rate_date, fx_rate_type"
    with schema_context(business_unit.schema_name):
        timed(
            "accounts",
            """
            INSERT INTO localcustomers_localcustomer (customer_id, local_code, local_name,
                payment_terms, former_codes, classification, notes, custom, created_at,
                updated_at)
            SELECT c.id, 'DE-' || substr(c.code, 2), c.legal_name, '30 Tage netto', '{}', 'B',
                   '', '{}', now(), now()
            FROM customers_customer AS c WHERE c.group_id = %s AND c.code LIKE 'L%%'
            """,
            group.pk,
        )
        accounts = "(SELECT array_agg(id ORDER BY id) FROM localcustomers_localcustomer)"
        timed(
            "orders",
            f"""
            INSERT INTO ledger_order (number, account_id, contract_number, external_reference,
                customer_reference, notes, status, invoice_basis, order_date, confirmed,
                confirmed_by, net_total, tax_total, total, total_group, invoiced_amount,
                {converted}, created_at, updated_at)
            SELECT 'SO-' || lpad(o::text, 8, '0'), a.ids[1 + o %% {ACCOUNTS}], '', '', '', '',
                   'DELIVERED', 'DELIVERED', d.day, true, 'bench', t.total, 0, t.total,
                   round(t.total * 8, 2), t.total, 'EUR', 'CNY', d.day, 8, d.day, 'SPOT',
                   now(), now()
            FROM generate_series(1, %s) AS o, {accounts} AS a(ids)
            CROSS JOIN LATERAL (
                SELECT sum({TOTAL}) AS total FROM generate_series(3 * o - 2, 3 * o) AS i
            ) AS t
            CROSS JOIN LATERAL (
                SELECT min({ISSUED}) - 3 AS day FROM generate_series(3 * o - 2, 3 * o) AS i
            ) AS d
            """,  # noqa: S608  (constants and expressions of this file)
            ORDERS,
        )
        timed(
            "order lines",
            """
            INSERT INTO ledger_orderline (order_id, position, material_id, material_code, unit,
                description, quantity, unit_price, amount, amount_group, delivered_quantity,
                invoiced_quantity, tax_code, tax_rate, tax_amount)
            SELECT id, 1, 1, 'M-001', 'PCE', '', 1, total, total, total_group, 1, 1, 'exempt', 0, 0
            FROM ledger_order
            """,
        )
        timed(
            "invoices",
            f"""
            INSERT INTO ledger_invoice (number, order_id, account_id, status, notes, issue_date,
                due_date, payment_terms, payment_days, net_total, tax_total, total, total_group,
                credited_amount, paid_amount, open_amount, open_amount_group, last_settled_on,
                closed_on, {converted}, created_at, updated_at)
            SELECT 'INV-' || lpad(i::text, 8, '0'), o.id, o.account_id,
                   CASE WHEN x.open = 0 THEN 'PAID'
                        WHEN x.paid > 0 OR x.credited > 0 THEN 'PARTIALLY_PAID'
                        ELSE 'ISSUED' END,
                   '', x.issued, x.issued + 30, '30 Tage netto', 30, x.total, 0, x.total,
                   round(x.total * x.rate, 2), x.credited, x.paid, x.open,
                   round(x.open * x.rate, 2), x.settled, CASE WHEN x.open = 0 THEN x.settled END,
                   'EUR', 'CNY', x.issued, x.rate, x.issued, 'SPOT',
                   now() - make_interval(days => (i %% 730)::int), now()
            FROM generate_series(1, %s) AS i
            JOIN ledger_order AS o ON o.number = 'SO-' || lpad(((i + 2) / 3)::text, 8, '0')
            CROSS JOIN LATERAL (
                SELECT {TOTAL} AS total, {ISSUED} AS issued, {CREDITED} AS credited,
                       {PAID} AS paid, {TOTAL} - {CREDITED} - {PAID} AS open, {RATE} AS rate,
                       -- the latest settlement: the payment, the credit note (5 days on)
                       CASE WHEN {PAID} > 0 AND {CREDITED} > 0
                            THEN greatest({RECEIVED}, {CREDITED_ON})
                            WHEN {PAID} > 0 THEN {RECEIVED}
                            WHEN {CREDITED} > 0 THEN {CREDITED_ON} END AS settled
            ) AS x
            """,  # noqa: S608
            INVOICES,
        )
        timed(
            "payments",
            f"""
            INSERT INTO ledger_payment (number, payer_id, received_on, reference,
                external_reference, amount, amount_group, allocated_amount,
                unallocated_amount, last_allocated_on, allocated_in_full_on, {converted},
                created_at)
            SELECT 'PAY-' || lpad(x.n::text, 8, '0'), v.account_id, x.received, 'bench', '',
                   x.amount, round(x.amount * v.fx_rate, 2), x.allocated,
                   x.amount - x.allocated,
                   CASE WHEN x.allocated > 0 THEN x.received END,
                   CASE WHEN x.allocated > 0 THEN x.received END,
                   'EUR', 'CNY', x.received, v.fx_rate, x.received, 'SPOT', now()
            FROM ledger_invoice AS v
            CROSS JOIN LATERAL (
                SELECT substr(v.number, 5)::int AS n,
                       least(v.issue_date + (substr(v.number, 5)::int %% 40), current_date)
                           AS received,
                       CASE WHEN v.paid_amount > 0 THEN v.paid_amount ELSE 50.00 END AS amount,
                       v.paid_amount AS allocated
            ) AS x
            """,  # noqa: S608
        )
        timed(
            "allocations",
            """
            INSERT INTO ledger_allocation (payment_id, invoice_id, amount, amount_group,
                allocated_on, allocated_by, created_at)
            SELECT p.id, v.id, p.allocated_amount, p.amount_group, p.received_on, 'bench', now()
            FROM ledger_invoice AS v
            JOIN ledger_payment AS p ON p.number = 'PAY-' || substr(v.number, 5)
            WHERE p.allocated_amount > 0
            """,
        )
        timed(
            "credit notes",
            """
            INSERT INTO ledger_creditnote (number, invoice_id, account_id, status, issue_date,
                reason, amount, net_amount, tax_amount, amount_group, currency,
                group_currency, fx_date, fx_rate, fx_rate_date, fx_rate_type, created_at)
            SELECT 'CN-' || substr(number, 5), id, account_id, 'ISSUED',
                   least(issue_date + 5, current_date), 'Rabatt', credited_amount,
                   credited_amount, 0,
                   round(credited_amount * fx_rate, 2), 'EUR', 'CNY', issue_date, fx_rate,
                   issue_date, 'SPOT', now()
            FROM ledger_invoice WHERE credited_amount > 0
            """,
        )
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            for table in (
                "localcustomers_localcustomer",
                "ledger_order",
                "ledger_orderline",
                "ledger_invoice",
                "ledger_payment",
                "ledger_allocation",
                "ledger_creditnote",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    return timings


def _time(run: Callable[[], Any]) -> list[float]:
    samples = []
    for round_ in range(ROUNDS + 3):
        started = time.perf_counter()
        run()
        if round_ >= 3:
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


AGING = """query { receivablesAging {
  asOf groupCurrency rowCount unappliedGroup { amount }
  totalGroup { current { amount } days1To30 { amount } days31To60 { amount }
               days61To90 { amount } daysOver90 { amount } total { amount currency } }
  page(first: 100) { endCursor hasNextPage
    rows { account { id localCode } currency invoices
           amounts { current { amount } days1To30 { amount } days31To60 { amount }
                     days61To90 { amount } daysOver90 { amount } total { amount currency } }
           amountsGroup { total { amount currency } } unapplied { amount } } } } }"""


def main() -> int:
    started = time.perf_counter()
    if os.environ.get("BENCH_REUSE"):  # the database a BENCH_KEEP=1 run left
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.platform.settings")
        os.environ.update(REGION="eu", DATABASE_NAME=DATABASE, DATABASE_CONN_MAX_AGE="600")
        import django

        django.setup()
    else:
        fresh_database(DATABASE, "eu", replica_seed=True)
    import datetime

    from django_tenants.utils import schema_context

    from crm.tenants.ledger.receivables import compute_aging, exposures
    from crm.tenants.models import BusinessUnit
    from crm.tests.fixtures.world import build_world

    if not os.environ.get("BENCH_REUSE"):
        build_world()
        timings = _load()
        print(
            f"loaded in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in timings.items())
        )
    de = BusinessUnit.objects.select_related("group").get(group__code="acme", code="de")
    today = de.today()
    with schema_context(de.schema_name):
        aging = compute_aging(de, as_of=today)
        open_invoices = sum(row.invoices for row in aging.rows)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM ledger_order), (SELECT count(*) FROM ledger_invoice),"
                " (SELECT count(*) FROM ledger_payment), (SELECT count(*) FROM ledger_allocation)"
            )
            orders, invoices, payments, allocations = cursor.fetchone()
    print(
        f"{orders:,} orders, {invoices:,} invoices ({open_invoices:,} open), {payments:,} "
        f"payments, {allocations:,} allocations, {len(aging.rows):,} aging rows; "
        f"{ROUNDS} rounds each"
    )
    print(f"aging today in CNY: {aging.buckets_group()}")
    results: list[tuple[str, list[float]]] = []
    with schema_context(de.schema_name):
        results.append(("aging statement, today", _time(lambda: compute_aging(de, as_of=today))))
        month_ago = today - datetime.timedelta(days=30)
        results.append(
            ("aging statement, 30 days ago", _time(lambda: compute_aging(de, as_of=month_ago)))
        )
        results.append(("exposure per golden customer", _time(lambda: exposures(de, today))))
    finance = graphql_client("acme.de.finance")
    finance(AGING, {})
    graphql = _time(lambda: finance(AGING, {}))
    results.append((GRAPHQL_LABEL, graphql))
    for label, samples in results:
        print(
            f"{label:50s} median {statistics.median(samples):6.1f} ms  p95 {_p95(samples):6.1f} ms"
        )
    # The target is the aging as asked by default (today); an earlier date is reported.
    worst = max(_p95(samples) for label, samples in results if label in TARGETED)
    print(f"aging today p95 {worst:.1f} ms (target ≤ {TARGET_MS:.0f} ms)")
    if not os.environ.get("BENCH_KEEP"):  # keep it (and rerun with BENCH_REUSE=1): BENCH_KEEP=1
        drop_database(DATABASE)
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
