"""Document numbers per business unit without gaps: `INV-2026-000042`.

A number is taken by one UPSERT that increments the (kind, year) row of `DocumentSequence` and
keeps that row locked until the document's transaction ends: a concurrent issuer waits, and a
rolled-back document gives its number back. So the numbers of a year's invoices run 1, 2, 3...
with none skipped, as tax authorities expect. The year is the document's business date's.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction

from crm.tenants.ledger.models import DocumentSequence, SequenceKind


def next_number(kind: SequenceKind, day: datetime.date) -> str:
    """The next number of `kind` in `day`'s year; call inside the document's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("document numbers are taken inside the document's transaction")
    table = connection.ops.quote_name(DocumentSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, year, last_number) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (kind, year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [kind.value, day.year],
        )
        row = cursor.fetchone()
    number = int(row[0])
    return f"{kind.value}-{day.year}-{number:06d}"
