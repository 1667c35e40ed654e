"""Applying a batch in a replica cell: in order, once, all or nothing.

A batch of group G from source cell S is applied in one transaction only if its first version
is the one after what this cell applied of (G, S): a batch already applied changes nothing and
answers `duplicate`; a gap or a reordering changes nothing and answers `gap` with the version
expected, so that the sender rewinds. Rows are upserted by primary key with
`jsonb_populate_record` (the row as the home cell's table holds it) and deleted by primary key,
with `crm.replicating` on for the transaction, so this cell's triggers neither refuse nor ship
them. Consecutive entries of one table and operation are applied with one statement; if a
unique or exclusion constraint objects to that shortcut, the batch is applied again entry by
entry, exactly in the home cell's order.

Lag: for each entry, applied time minus the home cell's capture time, kept per (G, S) as a
rolling window of samples (median and worst of the latest `LAG_WINDOW`).

A business unit of this region that arrives without a schema here gets one (cloned from the
template) after the batch commits, once the stream is caught up (so that its defaults, e.g. the
pipeline copied from the group's template, find the group's master data).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_exists

from crm.replication.models import IncidentKind, ReplicaState
from crm.replication.registry import Replicated, replicated

log = logging.getLogger(__name__)

FORMAT = 1
LAG_WINDOW = 1000
OPS = {"upsert", "delete"}


class MalformedBatchError(Exception):
    """The body is not a batch of this format."""


@dataclass(frozen=True)
class Entry:
    version: int
    model: Replicated
    op: str
    row: dict[str, Any]


@dataclass
class Batch:
    source: str
    group_id: int
    group_code: str
    first_version: int
    last_version: int
    head_version: int
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Outcome:
    status: str  # applied | duplicate | gap | failed
    applied_version: int
    expected: int | None = None
    last_lag_us: int | None = None
    median_lag_us: int | None = None
    worst_lag_us: int | None = None
    reason: str = ""
    incident: IncidentKind | None = None
    provision: list[int] = field(default_factory=list)
    # Models with entries in the applied batch (for what follows a commit, e.g. repricing).
    models: set[str] = field(default_factory=set)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "applied_version": self.applied_version}
        if self.expected is not None:
            body["expected"] = self.expected
        for name in ("last_lag_us", "median_lag_us", "worst_lag_us"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        if self.reason:
            body["reason"] = self.reason
        return body


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedBatchError(f"{name} is not an integer")
    return int(value)


def parse(body: bytes) -> Batch:
    """The batch's header and entries; MalformedBatch for anything unexpected."""
    try:
        data = json.loads(body)
    except ValueError:
        raise MalformedBatchError("not JSON") from None
    if not isinstance(data, dict):
        raise MalformedBatchError("not an object")
    if data.get("format") != FORMAT:
        raise MalformedBatchError(f"format {data.get('format')!r} is not {FORMAT}")
    group = data.get("group")
    if not isinstance(group, dict) or not isinstance(data.get("source"), str):
        raise MalformedBatchError("group or source missing")
    batch = Batch(
        source=data["source"],
        group_id=_int(group.get("id"), "group.id"),
        group_code=str(group.get("code", "")),
        first_version=_int(data.get("first_version"), "first_version"),
        last_version=_int(data.get("last_version"), "last_version"),
        head_version=_int(data.get("head_version"), "head_version"),
    )
    entries = data.get("entries")
    if not isinstance(entries, list) or not entries:
        raise MalformedBatchError("no entries")
    for offset, raw in enumerate(entries):
        if not isinstance(raw, dict):
            raise MalformedBatchError("an entry is not an object")
        version = _int(raw.get("version"), "version")
        if version != batch.first_version + offset:
            raise MalformedBatchError(f"entry {offset} has version {version}, not consecutive")
        model = replicated(str(raw.get("model", "")))
        if model is None:
            raise MalformedBatchError(f"{raw.get('model')!r} is not a replicated model")
        if raw.get("op") not in OPS or not isinstance(raw.get("row"), dict):
            raise MalformedBatchError(f"entry {version}: bad op or row")
        batch.entries.append(Entry(version, model, raw["op"], raw["row"]))
    if batch.entries[-1].version != batch.last_version:
        raise MalformedBatchError("last_version does not match the entries")
    if batch.head_version < batch.last_version:
        raise MalformedBatchError("head_version is before last_version")
    return batch


def _upsert_sql(model: Replicated) -> str:
    columns = ", ".join(f'"{c}"' for c in model.columns)
    selected = ", ".join(f'p."{c}"' for c in model.columns)
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in model.columns if c != model.pk_column)
    table = f'public."{model.table}"'
    return (
        f"INSERT INTO {table} ({columns}) SELECT {selected} FROM ("  # noqa: S608 - registry only
        f"  SELECT DISTINCT ON (b.pk) b.row FROM crm_replication_batch b"
        f"  WHERE b.n BETWEEN %s AND %s ORDER BY b.pk, b.n DESC"
        f") s CROSS JOIN LATERAL jsonb_populate_record(NULL::{table}, s.row) p "
        f'ON CONFLICT ("{model.pk_column}") DO UPDATE SET {updates}'
    )


def _delete_sql(model: Replicated) -> str:
    table = f'public."{model.table}"'
    key = f'"{model.pk_column}"'
    return (
        f"DELETE FROM {table} WHERE {key} IN ("  # noqa: S608 - registry only
        f"  SELECT p.{key} FROM crm_replication_batch b"
        f"  CROSS JOIN LATERAL jsonb_populate_record(NULL::{table}, b.row) p"
        f"  WHERE b.n BETWEEN %s AND %s)"
    )


def _apply_entries(batch: Batch, *, one_by_one: bool) -> None:
    """Runs of consecutive entries of one table and operation, one statement each."""
    position = 0
    with connection.cursor() as cursor:
        for (model, op), run in groupby(batch.entries, key=lambda e: (e.model, e.op)):
            count = len(list(run))
            size = 1 if one_by_one else count
            for start in range(position, position + count, size):
                sql = _upsert_sql(model) if op == "upsert" else _delete_sql(model)
                cursor.execute(sql, [start + 1, start + size])
            position += count


def _lag_stats(cursor: Any, batch: Batch) -> tuple[int | None, int | None]:
    cursor.execute(
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY lag_us), max(lag_us) FROM ("
        " SELECT lag_us FROM public.replication_lagsample WHERE group_id = %s AND source = %s"
        " ORDER BY version DESC LIMIT %s) recent",
        [batch.group_id, batch.source, LAG_WINDOW],
    )
    median, worst = cursor.fetchone()
    return median, worst


def apply(batch: Batch, body: bytes) -> Outcome:
    """Apply `batch` (whose signed `body` it was parsed from) if it is the next one."""
    with transaction.atomic():
        ReplicaState.objects.get_or_create(group_id=batch.group_id, source=batch.source)
        state = ReplicaState.objects.select_for_update().get(
            group_id=batch.group_id, source=batch.source
        )
        applied = state.applied_version
        if batch.last_version <= applied:
            state.duplicates += 1
            state.save(update_fields=["duplicates"])
            return Outcome("duplicate", applied)
        if batch.first_version != applied + 1:
            state.gaps += 1
            state.save(update_fields=["gaps"])
            return Outcome("gap", applied, expected=applied + 1)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL crm.replicating = 'on'")
            cursor.execute("DROP TABLE IF EXISTS crm_replication_batch")
            cursor.execute(
                "CREATE TEMP TABLE crm_replication_batch ON COMMIT DROP AS "
                "SELECT x.n::int AS n, (x.e->>'version')::bigint AS version,"
                " x.e->>'pk' AS pk, x.e->'row' AS row,"
                " (x.e->>'created_at')::timestamptz AS created_at "
                "FROM jsonb_array_elements(%s::jsonb -> 'entries') WITH ORDINALITY AS x(e, n)",
                [body.decode()],
            )
        try:
            with transaction.atomic():
                _apply_entries(batch, one_by_one=False)
        except IntegrityError:
            log.info("batch %s..%s applied entry by entry", batch.first_version, batch.last_version)
            with transaction.atomic():
                _apply_entries(batch, one_by_one=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO public.replication_lagsample"
                " (group_id, source, version, lag_us, applied_at) "
                "SELECT %s, %s, b.version,"
                " (extract(epoch FROM clock_timestamp() - b.created_at) * 1000000)::bigint,"
                " clock_timestamp() FROM crm_replication_batch b",
                [batch.group_id, batch.source],
            )
            cursor.execute(
                "DELETE FROM public.replication_lagsample"
                " WHERE group_id = %s AND source = %s AND version <= %s",
                [batch.group_id, batch.source, batch.last_version - LAG_WINDOW],
            )
            cursor.execute(
                "SELECT lag_us, applied_at FROM public.replication_lagsample"
                " WHERE group_id = %s AND source = %s AND version = %s",
                [batch.group_id, batch.source, batch.last_version],
            )
            last_lag, applied_at = cursor.fetchone()
            median, worst = _lag_stats(cursor, batch)
            cursor.execute("SET LOCAL crm.replicating = 'off'")
        state.applied_version = batch.last_version
        state.applied_at = applied_at
        state.last_lag_us = last_lag
        state.batches += 1
        arrived = [
            int(e.row["id"])
            for e in batch.entries
            if e.model.key == "tenants.businessunit"
            and e.op == "upsert"
            and e.row.get("region_id") == settings.REGION
        ]
        state.provision_pending = state.provision_pending or bool(arrived)
        caught_up = batch.last_version == batch.head_version
        provision = state.provision_pending and caught_up
        if provision:
            state.provision_pending = False
        state.save()
    outcome = Outcome(
        "applied",
        batch.last_version,
        last_lag_us=last_lag,
        median_lag_us=median,
        worst_lag_us=worst,
    )
    if provision:
        outcome.provision = [batch.group_id]
    outcome.models = {entry.model.key for entry in batch.entries}
    return outcome


def reprice(group_id: int) -> list[str]:
    """New exchange rates arrived: refresh the price books and deal conversions of the group's
    BUs in this cell, as the home cell does after its own rate import (masterdata.tasks)."""
    from django_tenants.utils import schema_context

    from crm.tenants.models import BusinessUnit
    from crm.tenants.opportunities.tasks import refresh_conversions_task
    from crm.tenants.pricebook.tasks import refresh_price_book_task

    handles = []
    for business_unit in BusinessUnit.objects.filter(group_id=group_id, region_id=settings.REGION):
        if not schema_exists(business_unit.schema_name):
            continue
        with schema_context(business_unit.schema_name):
            refresh_price_book_task.delay()
            refresh_conversions_task.delay(since=None)
        handles.append(business_unit.schema_name)
    return handles


def provision_schemas(group_id: int) -> list[str]:
    """Schemas for the group's BUs of this region that have none yet. Returns those made."""
    from crm.tenants.models import BusinessUnit
    from crm.tenants.provisioning import ensure_template_schema
    from crm.tenants.setup import set_up_business_unit

    made = []
    for business_unit in BusinessUnit.objects.filter(group_id=group_id, region_id=settings.REGION):
        if business_unit.schema_name == "public" or schema_exists(business_unit.schema_name):
            continue
        ensure_template_schema()
        business_unit.create_schema(check_if_exists=True, verbosity=0)
        set_up_business_unit(business_unit)
        made.append(business_unit.schema_name)
    return made
