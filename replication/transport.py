"""The home cell pushes each group's stream to every other cell, in signed, versioned batches.

For each group homed here and each other cell of the directory, the sender posts the entries
after what that cell has acknowledged: consecutive versions, at most `REPLICATION_BATCH_SIZE`
entries, extended to the end of the last entry's transaction (up to `REPLICATION_BATCH_MAX`)
so that a replica applies whole transactions. The body is built by PostgreSQL (rows stay exactly
as the table holds them, no float rounding) and signed with `crm.regions.signing`.

The target answers `applied` or `duplicate` with its applied version (the acknowledgement), or
`gap` with the version it expects (the sender rewinds or skips ahead to it). Anything else (a
cell that is down, a refusal, a time-out) counts a failure: the next attempt waits with
exponential back-off and jitter, and resumes from the acknowledged version. A cell that was
down therefore catches up from where it stopped.

One sender per (group, target) at a time: a session-level advisory lock, held outside any
transaction so that no transaction stays open during HTTP (an open transaction with an xid would
hold back the sequencer's horizon for every writer of the cell).
"""

from __future__ import annotations

import json
import logging
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone

from crm.regions.models import Region
from crm.regions.signing import sign
from crm.replication.models import Delivery, OutboxEntry, Stream
from crm.replication.sequencing import assign_versions
from crm.tenants.models import Group

log = logging.getLogger(__name__)

FORMAT = 1
BATCH_PATH = "/internal/replication/batches"
PURPOSE = "replication"


def batch_size() -> int:
    return int(settings.REPLICATION_BATCH_SIZE)


def batch_max() -> int:
    return int(settings.REPLICATION_BATCH_MAX)


def base_url(region: Region) -> str:
    """Where a cell takes cell-to-cell requests: CELL_ENDPOINTS, else its public endpoint's host."""
    configured: dict[str, str] = settings.CELL_ENDPOINTS
    if region.code in configured:
        return configured[region.code].rstrip("/")
    parts = urlsplit(region.api_endpoint)
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")).rstrip("/")


def targets() -> list[Region]:
    """Every other cell of the directory."""
    return list(Region.objects.exclude(code=settings.REGION).order_by("code"))


def _backoff(failures: int) -> timedelta:
    ceiling = float(settings.REPLICATION_MAX_BACKOFF)
    seconds = min(ceiling, 2.0 ** min(failures - 1, 20))
    return timedelta(seconds=seconds * random.uniform(0.5, 1.5))  # noqa: S311 - jitter


def _lock_key(group_id: int, target: str) -> tuple[int, int]:
    return group_id % 2**31, sum(ord(c) << (8 * i) for i, c in enumerate(target[:3]))


@dataclass
class Answer:
    status: int
    body: dict[str, Any]


def post(url: str, body: bytes, *, timeout: float) -> Answer:
    headers = {"Content-Type": "application/json", **sign(body, purpose=PURPOSE)}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {"raw": raw[:200].decode(errors="replace")}
    return Answer(status, parsed if isinstance(parsed, dict) else {})


def batch_range(group_id: int, acknowledged: int, head: int) -> tuple[int, int]:
    """The versions of the next batch after `acknowledged`: whole transactions where possible."""
    first = acknowledged + 1
    last = min(acknowledged + batch_size(), head)
    if last >= head:
        return first, last
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(o.version) FROM public.replication_outboxentry o "
            "WHERE o.group_id = %s AND o.version BETWEEN %s AND %s AND o.xid = ("
            " SELECT x.xid FROM public.replication_outboxentry x "
            " WHERE x.group_id = %s AND x.version = %s)",
            [group_id, last, min(acknowledged + batch_max(), head), group_id, last],
        )
        row = cursor.fetchone()
    return first, int(row[0]) if row and row[0] is not None else last


def batch_body(group: Group, first: int, last: int, head: int) -> bytes:
    """The batch as JSON text, assembled by PostgreSQL from the outbox."""
    batch_of = (group.pk, first, last)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT json_build_object("
            " 'format', %s, 'source', %s, 'group', json_build_object('id', %s, 'code', %s),"
            " 'first_version', %s, 'last_version', %s, 'head_version', %s,"
            " 'sent_at', clock_timestamp(),"
            " 'entries', coalesce(json_agg(json_build_object("
            "   'version', o.version, 'model', o.model, 'pk', o.object_pk, 'op', o.op,"
            "   'created_at', o.created_at, 'row', o.data) ORDER BY o.version), '[]'::json)"
            ")::text FROM public.replication_outboxentry o "
            "WHERE o.group_id = %s AND o.version BETWEEN %s AND %s",
            (FORMAT, settings.REGION, group.pk, group.code, first, last, head, *batch_of),
        )
        row = cursor.fetchone()
    assert row is not None
    return str(row[0]).encode()


@dataclass
class PushResult:
    target: str
    group_id: int
    acknowledged: int
    head: int
    batches: int = 0
    error: str = ""


def push_group(group: Group, target: Region, *, deadline: float) -> PushResult:
    """Send `group`'s stream to `target` until it is caught up, refuses, or time runs out."""
    delivery, _created = Delivery.objects.get_or_create(group_id=group.pk, target=target.code)
    stream = Stream.objects.filter(group_id=group.pk).first()
    head = stream.last_version if stream else 0
    result = PushResult(target.code, group.pk, delivery.acknowledged_version, head)
    url = base_url(target) + BATCH_PATH
    timeout = float(settings.REPLICATION_HTTP_TIMEOUT)
    while delivery.acknowledged_version < head and time.monotonic() < deadline:
        first, last = batch_range(group.pk, delivery.acknowledged_version, head)
        body = batch_body(group, first, last, head)
        while len(body) > settings.REPLICATION_BATCH_BYTES and last > first:
            last = first + (last - first) // 2  # large rows: fewer entries per batch
            body = batch_body(group, first, last, head)
        delivery.last_attempt_at = timezone.now()
        try:
            answer = post(url, body, timeout=timeout)
        except (OSError, urllib.error.URLError) as error:
            answer = Answer(0, {"error": str(error)})
        status = answer.body.get("status")
        if answer.status == 200 and status in {"applied", "duplicate"}:
            delivery.acknowledged_version = int(answer.body["applied_version"])
            delivery.failures = 0
            delivery.next_attempt_at = None
            delivery.last_success_at = timezone.now()
            delivery.last_error = ""
            for name in ("last_lag_us", "median_lag_us", "worst_lag_us"):
                if answer.body.get(name) is not None:
                    setattr(delivery, name, int(answer.body[name]))
            delivery.save()
            result.batches += 1
            continue
        if answer.status == 409 and status == "gap":
            # The target expects another version: resume from there (rewind or skip ahead).
            expected = int(answer.body["expected"])
            log.info("replication %s->%s: expected %s", group.code, target.code, expected)
            delivery.acknowledged_version = max(0, min(expected - 1, head))
            delivery.save()
            result.batches += 1
            continue
        delivery.failures += 1
        delivery.next_attempt_at = timezone.now() + _backoff(delivery.failures)
        reason = answer.body.get("reason") or answer.body.get("error") or answer.body
        delivery.last_error = f"HTTP {answer.status}: {reason}"[:500]
        delivery.save()
        result.error = delivery.last_error
        log.warning("replication %s->%s failed: %s", group.code, target.code, result.error)
        break
    result.acknowledged = delivery.acknowledged_version
    return result


def push(*, budget: float = 20.0, force: bool = False) -> list[PushResult]:
    """One round: number what is ready, then send every group homed here to every other cell.

    A (group, target) in back-off is skipped until its next attempt is due, unless `force`.
    """
    assign_versions()
    deadline = time.monotonic() + budget
    results: list[PushResult] = []
    groups = list(Group.objects.filter(home_region_id=settings.REGION).order_by("code"))
    if not groups:
        return results
    now = timezone.now()
    waiting = {
        (d.group_id, d.target)
        for d in Delivery.objects.filter(next_attempt_at__gt=now).only("group_id", "target")
    }
    for target in targets():
        for group in groups:
            if not force and (group.pk, target.code) in waiting:
                continue
            key = _lock_key(group.pk, target.code)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", list(key))
                row = cursor.fetchone()
            if not (row and row[0]):
                continue  # another sender is on it
            try:
                results.append(push_group(group, target, deadline=deadline))
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", list(key))
    for group in groups:
        prune(group.pk, [target.code for target in targets()])
    return results


def prune(group_id: int, target_codes: list[str]) -> int:
    """Drop the group's entries every target acknowledged, once older than the retention."""
    acknowledged = dict(
        Delivery.objects.filter(group_id=group_id, target__in=target_codes).values_list(
            "target", "acknowledged_version"
        )
    )
    floor = min((acknowledged.get(code, 0) for code in target_codes), default=0)
    if floor <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=settings.REPLICATION_OUTBOX_DAYS)
    deleted, _kinds = OutboxEntry.objects.filter(
        group_id=group_id, version__lte=floor, created_at__lt=cutoff
    ).delete()
    return deleted


def pending(group_id: int, target: str) -> int:
    """Entries of the group the target has not acknowledged (numbered or not yet)."""
    stream = Stream.objects.filter(group_id=group_id).first()
    head = stream.last_version if stream else 0
    delivery = Delivery.objects.filter(group_id=group_id, target=target).first()
    acknowledged = delivery.acknowledged_version if delivery else 0
    unnumbered = OutboxEntry.objects.filter(group_id=group_id, version__isnull=True).count()
    return max(0, head - acknowledged) + unnumbered
