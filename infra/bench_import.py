"""`make bench` (third part): importing 100,000 golden customers from a file, with the report.

Builds a CSV (and an XLSX) of BENCH_IMPORT_ROWS customers (default 100,000) in which one row
in a hundred is bad (an invalid VAT number, an unknown country, a missing name), imports it into
a fresh `crm_bench_import` database as the group's steward, exactly as the worker runs a job
(validation, duplicate checks by tax id and name, history rows), writes the error report, then
imports the same file again (nothing may change). Prints the seconds of each step; the target is
the first import with its error report in at most 60 s.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

from crm.infra.bench import drop_database, fresh_database, steward_access

DATABASE = "crm_bench_import"
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
TARGET_SECONDS = 60
WORDS = ["Nord", "Rhein", "Alpen", "Hanse", "Delta", "Vector", "Apex", "Nova", "Prime", "Iron"]
TRADES = ["Optik", "Technik", "Logistik", "Systems", "Glas", "Robotics", "Panels", "Antriebe"]


def _vat(number: int) -> str:
    """A valid German VAT number (ISO 7064 Mod 11,10 check digit)."""
    digits = f"{10_000_000 + number % 89_999_999:08d}"
    product = 10
    for digit in digits:
        total = (int(digit) + product) % 10 or 10
        product = (2 * total) % 11
    check = (11 - product) % 10
    return f"DE{digits}{check}"


def build_csv(rows: int) -> bytes:
    lines = ["code,legal_name,trade_name_de,country,tax_id,industry,grade,credit_limit"]
    for n in range(1, rows + 1):
        name = f"{WORDS[n % 10]} {TRADES[n % 8]} {WORDS[(n // 10) % 10]} {n} GmbH"
        tax = _vat(n) if n % 3 == 0 else ""
        if n % 100 == 1:
            tax = "DE123"  # invalid
        country = "XX" if n % 100 == 2 else "DE"
        legal = "" if n % 100 == 3 else name
        lines.append(f"B{n:07d},{legal},{name[:20]},{country},{tax},Machinery,B,{n % 997}.50")
    return ("\n".join(lines) + "\n").encode()


def main() -> int:
    fresh_database(DATABASE, "cn")
    from crm.masterdata.transfer import jobs
    from crm.masterdata.transfer.models import FileFormat

    access = steward_access()
    content = build_csv(ROWS)
    print(f"{ROWS:,} customer rows, {len(content) / 1e6:.1f} MB of CSV, 1 in 100 bad")

    def timed_import(label: str) -> tuple[float, object]:
        started, cpu = time.perf_counter(), time.process_time()
        ticks: list[float] = []
        job = jobs.start_import(
            access=access, kind="CUSTOMERS", file_name="bench.csv", content=content
        )
        job = jobs.run(job, access, lambda _job: ticks.append(time.perf_counter()))
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        chunks = [b - a for a, b in itertools.pairwise(ticks)]
        if len(chunks) > 20:
            first, last = sum(chunks[:10]) / 10, sum(chunks[-11:-1]) / 10
            print(
                f"  {label}: a chunk of {jobs.CHUNK} rows, first {first:.2f} s, last {last:.2f} s"
            )
        print(
            f"  {label:28} {seconds:6.1f} s  ({job.created:,} created, {job.updated:,} updated, "
            f"{job.unchanged:,} unchanged, {job.failed:,} refused; {cpu:.1f} s of it in Python)"
        )
        return seconds, job

    first, job = timed_import("first import")
    started = time.perf_counter()
    report = jobs.error_report(job, FileFormat.CSV)  # type: ignore[arg-type]
    report_seconds = time.perf_counter() - started
    print(f"  {'error report (CSV)':28} {report_seconds:6.1f} s  ({len(report) / 1e3:.0f} kB)")
    timed_import("same file again")
    total = first + report_seconds
    print(f"  import + report: {total:.1f} s (target <= {TARGET_SECONDS} s)")
    from django.db import connections

    connections.close_all()
    drop_database(DATABASE)
    return 0 if total <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
