"""Replication lag over 1,000 master-data changes at HQ, measured in the German cell.

Starts two real cells (cn = the group's home, eu) the way the test harness does
(`crm.tests.fixtures.cells`: own databases cloned from a migrated template, gunicorn on loopback,
a Celery worker with beat in cn, its own broker), seeds the group `lumina`, creates the materials,
waits until eu has caught up, then makes BENCH_REPLICATION_CHANGES (default 1,000) changes at HQ
through the GraphQL API, one request (one transaction) each, from BENCH_REPLICATION_CLIENTS
concurrent clients (default 4). eu records for every applied entry its lag: applied time minus
the moment HQ's trigger captured the change (same machine, same clock). Prints median, 95th
percentile and worst lag of those changes, the throughput, and how they travelled (batches).
Everything it started is stopped and its databases dropped.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

CHANGES = int(os.environ.get("BENCH_REPLICATION_CHANGES", "1000"))
CLIENTS = int(os.environ.get("BENCH_REPLICATION_CLIENTS", "4"))
MATERIALS = 50
CREATE = """
mutation($code: String!) {
  materialCreate(code: $code, names: [{language: "en", text: "Bench"}], unit: PIECE) {
    errors { code } material { id } } }
"""
RENAME = """
mutation($id: ID!, $name: String!) {
  materialUpdate(id: $id, names: [{language: "en", text: $name}]) { errors { code } } }
"""


def _wait(check: object, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("replication did not catch up")
        time.sleep(0.05)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.tests.settings")
    os.environ.setdefault("TEST_DATABASE_NAME", "crm_bench_replication")
    import django

    django.setup()
    from crm.infra import services
    from crm.tests.fixtures.cells import Cells

    services.postgres_up()
    services.redis_up()
    cells = Cells(regions=("cn", "eu"))
    started = time.perf_counter()
    cells.set_up()
    try:
        directory = cells.seed_directory()
        hq, eu = cells["cn"], cells["eu"]
        hq.start_worker(beat=True)
        print(f"cells cn and eu up and seeded in {time.perf_counter() - started:.0f} s")
        token = directory.token("cn", "lumina.admin")
        group = directory.group_id

        def ask(query: str, variables: dict[str, str]) -> dict[str, object]:
            reply = hq.graphql(query, variables, bu="lumina.hq", token=token)
            (payload,) = reply.data.values()
            if reply.status != 200 or reply.errors or payload["errors"]:
                raise RuntimeError(f"HQ refused: {reply.body}")
            return dict(payload)

        ids = [ask(CREATE, {"code": f"BENCH-{n:03d}"})["material"]["id"] for n in range(MATERIALS)]  # type: ignore[index]

        def head() -> int:
            rows = hq.sql(
                "SELECT last_version FROM replication_stream WHERE group_id = %s", [group]
            )
            unnumbered = hq.sql(
                "SELECT count(*) FROM replication_outboxentry WHERE version IS NULL"
            )[0][0]
            return int(rows[0][0]) if rows and not unnumbered else -1

        def applied() -> int:
            rows = eu.sql(
                "SELECT applied_version FROM replication_replicastate WHERE group_id = %s",
                [group],
            )
            return int(rows[0][0]) if rows else 0

        _wait(lambda: head() > 0 and applied() == head())
        first = applied() + 1
        batches_before = eu.sql(
            "SELECT batches FROM replication_replicastate WHERE group_id = %s", [group]
        )[0][0]

        def change(n: int) -> None:
            ask(RENAME, {"id": ids[n % MATERIALS], "name": f"Bench {n}"})

        began = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(change, range(CHANGES)))
        written = time.perf_counter() - began
        _wait(lambda: head() >= first + CHANGES - 1 and applied() == head())
        done = time.perf_counter() - began
        lags = [
            lag / 1e6
            for (lag,) in eu.sql(
                "SELECT lag_us FROM replication_lagsample WHERE group_id = %s AND version >= %s"
                " ORDER BY version",
                [group, first],
            )
        ]
        batches = (
            eu.sql("SELECT batches FROM replication_replicastate WHERE group_id = %s", [group])[0][
                0
            ]
            - batches_before
        )
        if len(lags) != CHANGES:
            raise RuntimeError(f"{len(lags)} entries applied for {CHANGES} changes")
        lags.sort()
        p95 = lags[int(0.95 * (len(lags) - 1))]
        print(
            f"{CHANGES:,} changes at HQ by {CLIENTS} clients in {written:.1f} s "
            f"({CHANGES / written:.0f}/s); all applied in eu after {done:.1f} s, "
            f"in {batches} batches"
        )
        print(
            f"replication lag in eu: median {statistics.median(lags) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, worst {lags[-1] * 1000:.0f} ms"
        )
    finally:
        cells.tear_down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
