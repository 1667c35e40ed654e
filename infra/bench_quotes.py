"""`make bench`: a 100-line quote priced and saved, through the whole stack.

Builds the test world in a fresh `crm_bench_quotes` database (cell `eu`), adds 40 materials
priced only on the group's CNY list (so 40 of the 100 lines are converted to EUR at the day's
rate), standard costs on half of them (margins computed) and the German BU's tax rates (a
default and a reduced rate for a category). Then, in-process through middleware, GraphQL view
and policy engine, as the German BU's salesperson, it times `quoteCreate` with 100 lines on one
deal: price resolution for all lines at once, taxes, rounding, totals, the INSERTs, and the
payload with every line read back. Prints median and p95 and the SQL statements of one call;
the target is p95 ≤ 250 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from crm.infra.bench import drop_database, fresh_database

DATABASE = "crm_bench_quotes"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
LINES = 100
TARGET_MS = 250.0

SAVED = """
  quote { id number netTotal { amount currency } taxTotal { amount } grossTotal { amount }
    maxDiscount }"""
READ_BACK = """
  quote { id number netTotal { amount currency } taxTotal { amount } grossTotal { amount }
    lines { position materialCode unitPrice { amount } net { amount }
      tax { code amount { amount } } gross { amount }
      priceSource { priceList conversion { rate rateDate } } } }"""
CREATE = """mutation($deal: ID!, $lines: [QuoteLineItemInput!]) {
  quoteCreate(opportunity: $deal, lines: $lines, headerDiscount: "2") {
    errors { field code message } %s } }"""


def _materials() -> list[int]:
    """The world's 60 materials and 40 more priced only on the group's CNY list."""
    from crm.masterdata.models import (
        Material,
        MaterialCategory,
        PriceList,
        PriceListItem,
        UnitOfMeasure,
    )
    from crm.tenants.models import Group

    acme = Group.objects.get(code="acme")
    reduced = MaterialCategory.objects.create(
        group=acme, code="REDUCED", name="Reduced", name_en="Reduced"
    )
    group_list = PriceList.objects.get(group=acme, code="G")
    for number in range(101, 141):
        material = Material.objects.create(
            group=acme,
            code=f"M-{number:03d}",
            unit=UnitOfMeasure.PIECE,
            name=f"Panel {number}",
            name_en=f"Panel {number}",
            category=reduced if number % 4 == 0 else None,
            standard_cost=Decimal(number) / 2 if number % 2 else None,
        )
        PriceListItem.objects.create(
            price_list=group_list, material=material, amount=Decimal(number) + Decimal("0.37")
        )
    Material.objects.filter(group=acme, code__lte="M-030").update(standard_cost=Decimal("42.5"))
    return list(
        Material.objects.filter(group=acme, code__startswith="M-")
        .exclude(code="M-NOPRICE")
        .order_by("code")
        .values_list("pk", flat=True)[:LINES]
    )


def _taxes_and_deal() -> int:
    """acme.de's tax rates, and a deal of its salesperson (its id)."""
    import datetime

    from django_tenants.utils import schema_context

    from crm.masterdata.models import MaterialCategory
    from crm.tenants.quotes.models import TaxRate
    from crm.tests.opportunities.helpers import make_deal

    reduced = MaterialCategory.objects.get(code="REDUCED")
    with schema_context("bu_acme_de"):
        since = datetime.date(2020, 1, 1)
        TaxRate.objects.create(
            code="standard", name="Standard", rate=Decimal(19), is_default=True, valid_from=since
        )
        TaxRate.objects.create(
            code="reduced",
            name="Reduced",
            rate=Decimal(7),
            material_category_id=reduced.pk,
            valid_from=since,
        )
    deal = make_deal(as_="acme.de.sales", bu="de")
    return int(deal.pk)


def _client(username: str) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    from django.test import Client

    from crm.platform.accounts.authentication import issue_user_token
    from crm.platform.accounts.models import User

    token, _record = issue_user_token(User.objects.get(username=username))
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_BUSINESS_UNIT="acme.de", HTTP_HOST="localhost"
    )

    def ask(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = client.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables}),
            content_type="application/json",
        )
        body: dict[str, Any] = json.loads(response.content)
        payload = (body.get("data") or {}).get("quoteCreate") or {}
        if body.get("errors") or payload.get("errors") or not payload.get("quote"):
            raise SystemExit(f"quoteCreate failed: {body}")
        return body

    return ask


def main() -> int:
    started = time.perf_counter()
    fresh_database(DATABASE, "eu", replica_seed=True)
    from django.db import connection
    from graphql_relay import to_global_id

    from crm.tests.fixtures.world import build_world

    build_world()
    material_ids = _materials()
    deal_id = _taxes_and_deal()
    print(f"prepared in {time.perf_counter() - started:.1f} s; {ROUNDS} rounds")
    lines = [
        {
            "material": to_global_id("Material", pk),
            "quantity": str(1 + index % 7) + (".5" if index % 3 == 0 else ""),
            "discount": "3.5" if index % 5 == 0 else "0",
        }
        for index, pk in enumerate(material_ids)
    ]
    assert len(lines) == LINES
    variables = {"deal": to_global_id("Opportunity", deal_id), "lines": lines}
    ask = _client("acme.de.sales")
    saved, read_back = CREATE % SAVED, CREATE % READ_BACK
    for _ in range(5):  # warm-up
        ask(saved, variables)
    statements: list[tuple[float, str]] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        begun = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(((time.perf_counter() - begun) * 1000, sql))

    with connection.execute_wrapper(count):
        body = ask(read_back, variables)
    quote = body["data"]["quoteCreate"]["quote"]
    if os.environ.get("BENCH_SQL"):
        for took, sql in statements:
            print(f"{took:7.1f} ms  {sql[:150]}")
    converted = sum(1 for line in quote["lines"] if line["priceSource"]["conversion"])
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            ask(saved, variables)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
    figures = {}
    for label, query in (("priced and saved", saved), ("and every line read back", read_back)):
        samples = []
        for _ in range(ROUNDS):
            begun = time.perf_counter()
            ask(query, variables)
            samples.append((time.perf_counter() - begun) * 1000)
        figures[label] = (statistics.median(samples), statistics.quantiles(samples, n=20)[-1])
        print(
            f"quoteCreate, {LINES} lines ({converted} converted), {label}: "
            f"median {figures[label][0]:.1f} ms  p95 {figures[label][1]:.1f} ms"
        )
    p95 = figures["priced and saved"][1]
    print(f"  {len(statements)} SQL statements per call (with the lines read back)")
    print(
        f"  gross total {quote['grossTotal']['amount']} {quote['netTotal']['currency']}; "
        f"target p95 ≤ {TARGET_MS:.0f} ms"
    )
    drop_database(DATABASE)
    return 0 if p95 <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
