"""Versions for the outbox: per group, gapless, in outbox order, only for finished transactions.

Outbox ids come from a sequence when a row is written, not when its transaction commits: a
transaction that started earlier may commit later with smaller ids. A sender that shipped "ids
above the last shipped one" would skip those rows for ever. So one sequencer (an advisory lock
makes it one across processes) numbers only entries whose transaction is over: `xid` below the
snapshot's xmin (no running transaction can still add an entry with that xid), in id order. An
entry of a transaction still running waits for a later round; nothing can be numbered before it
and then be overtaken, because entries whose rows conflict are serialized by row locks.

The horizon is the oldest transaction still running *in this database* (from the snapshot's
in-progress list, filtered by pg_stat_activity): a long transaction in another database of the
same PostgreSQL cluster does not hold a cell's replication back. (In the short window between
the snapshot and that read, a transaction of this database that just ended is not counted; its
entries are then numbered in the next round, after higher ids: still in order for each row,
since writes of one row are serialized.)

Entries written by the sequencer's own transaction count as finished too (they commit with the
numbers): this lets a test, which runs inside one transaction, see its writes sequenced.

`snapshot` puts the current rows of the groups homed here into the outbox, e.g. when a cell joins
or after the triggers are first installed on a database that already holds data.
"""

from __future__ import annotations

from django.db import connection, transaction

from crm.replication.registry import REPLICATED

SEQUENCER_LOCK = 0x63726D5F726570  # "crm_rep"

_ASSIGN = """
WITH snap AS (
    SELECT pg_current_snapshot() AS s, pg_current_xact_id_if_assigned()::text::bigint AS own
), here AS (
    -- Transactions of this database only: others of the cluster never write this outbox.
    SELECT a.backend_xid::text::bigint AS xid32 FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.backend_xid IS NOT NULL
), horizon AS (
    SELECT coalesce(
        (SELECT min(x::text::bigint) FROM snap, pg_snapshot_xip(snap.s) AS x
         WHERE x::text::bigint IS DISTINCT FROM snap.own
           AND (x::text::bigint & 4294967295) IN (SELECT xid32 FROM here)),
        (SELECT pg_snapshot_xmax(s)::text::bigint FROM snap)
    ) AS xid
), ready AS (
    SELECT o.id, o.group_id,
           row_number() OVER (PARTITION BY o.group_id ORDER BY o.id) AS n
    FROM public.replication_outboxentry o
    WHERE o.version IS NULL
      AND (o.xid < (SELECT xid FROM horizon) OR o.xid = (SELECT own FROM snap))
), numbered AS (
    SELECT ready.id, ready.group_id, coalesce(s.last_version, 0) + ready.n AS version
    FROM ready LEFT JOIN public.replication_stream s ON s.group_id = ready.group_id
), assigned AS (
    UPDATE public.replication_outboxentry o SET version = numbered.version
    FROM numbered WHERE o.id = numbered.id
    RETURNING o.group_id, o.version
)
INSERT INTO public.replication_stream (group_id, last_version)
SELECT group_id, max(version) FROM assigned GROUP BY group_id
ON CONFLICT (group_id) DO UPDATE SET last_version = EXCLUDED.last_version
RETURNING group_id, last_version
"""


def assign_versions() -> dict[int, int]:
    """Number what is ready; returns {group id: its new last version} for groups that moved."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCER_LOCK])
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh pg_stat_activity
        cursor.execute(_ASSIGN)
        return {int(group_id): int(last) for group_id, last in cursor.fetchall()}


def snapshot(group_ids: list[int] | None = None) -> int:
    """Every current row of the given groups homed here (all such groups by default) into the
    outbox as an upsert, parents before children. Returns the number of entries written."""
    total = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for item in REPLICATED:
            # Rows without a parent first, so that a batch boundary never puts a row before
            # the row it refers to (self-references: category and customer parents).
            has_parent = "parent_id" in item.columns
            order = "(r.parent_id IS NOT NULL), r.id" if has_parent else f"r.{item.pk_column}"
            only = "AND g.id = ANY(%s)" if group_ids is not None else ""
            cursor.execute(
                "INSERT INTO public.replication_outboxentry "  # noqa: S608 - registry SQL only
                "(group_id, model, object_pk, op, data, xid, created_at) "
                f"SELECT {item.group}, %s, r.{item.pk_column}::text, 'upsert', to_jsonb(r), "
                "pg_current_xact_id()::text::bigint, clock_timestamp() "
                f'FROM public."{item.table}" r {item.join} '
                f"JOIN public.tenants_group g ON g.id = {item.group} "
                f"WHERE {item.home} = current_setting('crm.region', true) {only} "
                f"ORDER BY {order}",
                [item.key, group_ids] if group_ids is not None else [item.key],
            )
            total += cursor.rowcount
    return total
