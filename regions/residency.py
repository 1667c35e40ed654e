"""The residency scan: proof, for one cell, that it holds no data of another region.

A cell (ARCHITECTURE.md section 3) may hold the schemas of its own region's business units only,
and personal data of its own region only. This module checks what the cell actually holds,
not what the code intends, in three places:

1. **Schemas.** Every schema of the database that is a BU schema (named in the BU directory,
   named like one, ``bu_…``, or holding a tenant table) must belong to a BU homed in this region.
   The template schema new BUs are cloned from holds no data and is allowed.
2. **Personal data in the shared schema.** The models declared ``personal_data=True`` and
   ``Schema.SHARED`` (see ``crm.platform.core.placement``) are found from the registry, so a new
   one is scanned without touching this file. Each row is attributed to regions through what it
   links to: a business unit (its home region), a user (the regions of the user's memberships),
   or a history context (the BU and user it names). A row that belongs only to other regions is
   a finding. A user with a group-level role (HQ staff) belongs to every cell of the group, and
   one with no role belongs to no region in particular: neither is a finding.
3. **Data in flight.** Rows of the replication outbox that carry a personal-data model, and
   messages waiting in this cell's Celery queue (read without consuming them) that run in another
   region's BU schema or name another region's BU or user.

Findings name what, where and which region, and never the personal data itself (ids only).
Each check is one set-based SQL statement per model, so the time does not grow with rows
checked in Python: see ``infra/bench_residency.py``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models

from crm.platform.core.placement import Schema, placement_of

SAMPLE = 5


@dataclass(frozen=True)
class Finding:
    """Something this cell holds that belongs to another region (or to no known BU)."""

    kind: str  # foreign_schema | orphan_schema | foreign_rows | unattributed_rows | outbox | task
    where: str  # the schema, table or queue
    regions: tuple[str, ...]  # the regions the data belongs to ("?" when unknown)
    count: int
    detail: str
    sample: tuple[str, ...] = ()  # ids (never the personal data itself)

    def line(self) -> str:
        regions = ",".join(self.regions) or "?"
        sample = f" e.g. {', '.join(self.sample)}" if self.sample else ""
        return f"{self.kind}: {self.where} [region {regions}] x{self.count}: {self.detail}{sample}"


@dataclass
class ScanReport:
    region: str
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per part of the scan

    @property
    def clean(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "clean": self.clean,
            "seconds": round(self.seconds, 4),
            "timings": self.timings,
            "checked": self.checked,
            "findings": [asdict(finding) for finding in self.findings],
        }


def scan_cell(
    *,
    region: str | None = None,
    broker_url: str | None = None,
    queue: str | None = None,
    check_broker: bool = True,
) -> ScanReport:
    """Scan this cell's database (and broker queue) for data of other regions."""
    region = region or settings.REGION
    started = time.perf_counter()
    report = ScanReport(region=region)

    def timed(part: str, found: Callable[[], list[Finding]]) -> None:
        began = time.perf_counter()
        report.findings.extend(found())
        report.timings[part] = round(time.perf_counter() - began, 4)

    timed("schemas", lambda: scan_schemas(region, report.checked))
    timed("personal_rows", lambda: scan_personal_rows(region, report.checked))
    timed("outbox", lambda: scan_outbox(region, report.checked))
    if check_broker:
        timed(
            "queue",
            lambda: scan_queue(
                region,
                broker_url=broker_url or settings.CELERY_BROKER_URL,
                queue=queue or f"crm-{region}",
                checked=report.checked,
            ),
        )
    report.seconds = time.perf_counter() - started
    return report


# -- 1. schemas ----------------------------------------------------------------------------------


def tenant_tables() -> list[str]:
    """Tables that exist only in BU schemas: their presence marks a schema as a BU's."""
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if (placement := placement_of(model)) is not None
            and placement.schema == Schema.TENANT
            and model._meta.managed
        }
    )


_SCHEMAS = """
WITH marked AS (
    SELECT DISTINCT c.relnamespace AS oid
    FROM pg_class c
    WHERE c.relkind IN ('r', 'p') AND c.relname = ANY(%(markers)s)
)
SELECT n.nspname, bu.region_id, g.code || '.' || bu.code
FROM pg_namespace n
LEFT JOIN public.tenants_businessunit bu ON bu.schema_name = n.nspname
LEFT JOIN public.tenants_group g ON g.id = bu.group_id
LEFT JOIN marked m ON m.oid = n.oid
WHERE n.nspname NOT IN ('public', 'information_schema', %(template)s)
  AND n.nspname NOT LIKE 'pg\\_%%'
  AND (bu.id IS NOT NULL OR m.oid IS NOT NULL OR n.nspname LIKE 'bu\\_%%')
ORDER BY n.nspname
"""


def scan_schemas(region: str, checked: dict[str, int]) -> list[Finding]:
    with connection.cursor() as cursor:
        cursor.execute(
            _SCHEMAS, {"markers": tenant_tables(), "template": settings.TENANT_BASE_SCHEMA}
        )
        rows = cursor.fetchall()
    checked["schemas"] = len(rows)
    findings = []
    for schema, home, handle in rows:
        if home is None:
            findings.append(
                Finding(
                    "orphan_schema",
                    f"schema {schema}",
                    ("?",),
                    1,
                    "a BU-like schema that no business unit of the directory names",
                )
            )
        elif home != region:
            findings.append(
                Finding(
                    "foreign_schema",
                    f"schema {schema}",
                    (home,),
                    1,
                    f"schema of business unit {handle}, homed in region {home}",
                )
            )
    return findings


# -- 2. personal data in the shared schema -------------------------------------------------------

# Users with at least one role, every one of them in a BU of another region: their regions.
_FOREIGN_USERS = """
foreign_users AS (
    SELECT m.user_id, array_agg(DISTINCT bu.region_id ORDER BY bu.region_id) AS regions
    FROM public.accounts_membership m
    LEFT JOIN public.tenants_businessunit bu ON bu.id = m.business_unit_id
    GROUP BY m.user_id
    HAVING bool_and(bu.id IS NOT NULL AND bu.region_id <> %(region)s)
)"""


def personal_shared_models() -> list[type[models.Model]]:
    """Every shared-schema table declared to hold personal data (views excluded)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        placement = placement_of(model)
        if placement is None or placement.schema != Schema.SHARED or not placement.personal_data:
            continue
        if not model._meta.managed or model._meta.proxy:
            continue
        found.append(model)
    return sorted(found, key=lambda model: model._meta.label)


def _foreign_key_to(model: type[models.Model], target: str) -> str | None:
    for model_field in model._meta.concrete_fields:
        related = model_field.related_model
        if (
            model_field.is_relation
            and related is not None
            and not isinstance(related, str)
            and related._meta.label_lower == target
        ):
            return str(model_field.column)
    return None


def attribution_sql(model: type[models.Model]) -> str | None:
    """SELECT of (id, regions) for the rows of `model` that belong to other regions only.

    `regions` is the text[] of the regions a row belongs to. None: no way to attribute.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    label = model._meta.label_lower
    user_model = settings.AUTH_USER_MODEL.lower()
    if label == user_model:
        return f"SELECT t.{pk}::text AS id, fu.regions FROM public.{table} t LEFT JOIN foreign_users fu ON fu.user_id = t.{pk}"  # noqa: E501, S608
    if label == "pghistory.context":
        return f"""
            SELECT t.id::text AS id,
                   CASE WHEN bu.id IS NOT NULL
                        THEN CASE WHEN bu.region_id <> %(region)s THEN ARRAY[bu.region_id] END
                        ELSE fu.regions END AS regions
            FROM public.{table} t
            LEFT JOIN public.tenants_group g
                   ON g.code = split_part(t.metadata->>'business_unit', '.', 1)
            LEFT JOIN public.tenants_businessunit bu
                   ON bu.group_id = g.id
                  AND bu.code = split_part(t.metadata->>'business_unit', '.', 2)
            LEFT JOIN foreign_users fu
                   ON fu.user_id::text = t.metadata->>'user_id'
        """  # noqa: S608
    # In order: the row's business unit, its region, its user, the personal row it belongs to.
    cases: list[tuple[str, str]] = []
    joins: list[str] = []
    fallback = "NULL::text[]"
    bu_column = _foreign_key_to(model, "tenants.businessunit")
    if bu_column:
        joins.append(f"LEFT JOIN public.tenants_businessunit bu ON bu.id = t.{_q(bu_column)}")
        cases.append(
            (
                f"t.{_q(bu_column)} IS NOT NULL",
                "CASE WHEN bu.region_id <> %(region)s THEN ARRAY[bu.region_id] END",
            )
        )
    region_column = _foreign_key_to(model, "regions.region")
    if region_column:
        column = f"t.{_q(region_column)}"
        cases.append(
            (f"{column} IS NOT NULL", f"CASE WHEN {column} <> %(region)s THEN ARRAY[{column}] END")
        )
    user_column = _foreign_key_to(model, user_model)
    parent = _personal_parent(model)
    if user_column:
        joins.append(f"LEFT JOIN foreign_users fu ON fu.user_id = t.{_q(user_column)}")
        fallback = "fu.regions"
    elif parent is not None:
        parent_select = attribution_sql(parent[0])
        if parent_select is not None:
            joins.append(f"LEFT JOIN ({parent_select}) p ON p.id = t.{_q(parent[1])}::text")
            fallback = "p.regions"
    if not cases and fallback == "NULL::text[]":
        return None
    regions = fallback
    if cases:
        whens = " ".join(f"WHEN {condition} THEN {value}" for condition, value in cases)
        regions = f"CASE {whens} ELSE {fallback} END"
    return (
        f"SELECT t.{pk}::text AS id, {regions} AS regions FROM public.{table} t {' '.join(joins)}"  # noqa: S608
    )


def _q(name: str) -> str:
    return str(connection.ops.quote_name(name))


def _personal_parent(model: type[models.Model]) -> tuple[type[models.Model], str] | None:
    """A personal shared model this one belongs to (e.g. a request's export), and the column."""
    for model_field in model._meta.concrete_fields:
        related = model_field.related_model
        if not model_field.is_relation or related is None or isinstance(related, str):
            continue
        placement = placement_of(related)
        if placement is not None and placement.personal_data and related is not model:
            return related, str(model_field.column)
    return None


def scan_personal_rows(region: str, checked: dict[str, int]) -> list[Finding]:
    findings: list[Finding] = []
    for model in personal_shared_models():
        label = model._meta.label
        where = f"public.{model._meta.db_table} ({label})"
        if model._meta.label_lower == "sessions.session":
            findings.extend(_scan_sessions(region, where, checked))
            continue
        select = attribution_sql(model)
        with connection.cursor() as cursor:
            if select is None:
                cursor.execute(f"SELECT count(*) FROM public.{model._meta.db_table}")  # noqa: S608
                count = int(cursor.fetchone()[0])
                checked[label] = count
                if count:
                    findings.append(
                        Finding(
                            "unattributed_rows",
                            where,
                            ("?",),
                            count,
                            "personal data with no link to a business unit or user: "
                            "teach regions.residency how to attribute it",
                        )
                    )
                continue
            cursor.execute(
                f"""
                WITH {_FOREIGN_USERS}, attributed AS ({select})
                SELECT regions, count(*),
                       (array_agg(id ORDER BY id) FILTER (WHERE regions IS NOT NULL))[1:{SAMPLE}]
                FROM attributed GROUP BY regions
                """,  # noqa: S608
                {"region": region},
            )
            groups = cursor.fetchall()
        # The group whose regions are NULL is the local rows (no sample kept for them).
        checked[label] = sum(int(rows) for _regions, rows, _sample in groups)
        for regions, rows, sample in groups:
            if not regions:
                continue
            findings.append(
                Finding(
                    "foreign_rows",
                    where,
                    tuple(regions),
                    int(rows),
                    f"personal data of region {'/'.join(regions)} only",
                    tuple(sample),
                )
            )
    return findings


def _scan_sessions(region: str, where: str, checked: dict[str, int]) -> list[Finding]:
    """Sessions keep the user id inside signed data: decoded here (the API uses tokens, so
    there are few, if any)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    sessions = list(Session.objects.values_list("session_key", "session_data"))
    checked["sessions.Session"] = len(sessions)
    if not sessions:
        return []
    foreign = foreign_user_regions(region)
    store = SessionStore()
    hits: dict[tuple[str, ...], list[str]] = {}
    for key, data in sessions:
        user_id = store.decode(data).get("_auth_user_id")
        regions = foreign.get(int(user_id)) if user_id and str(user_id).isdigit() else None
        if regions:
            hits.setdefault(regions, []).append(key[:8])
    return [
        Finding(
            "foreign_rows",
            where,
            regions,
            len(keys),
            f"sessions of users of region {'/'.join(regions)} only",
            tuple(keys[:SAMPLE]),
        )
        for regions, keys in hits.items()
    ]


def foreign_user_regions(region: str) -> dict[int, tuple[str, ...]]:
    """Users who work only in other regions' BUs, with those regions."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {_FOREIGN_USERS} SELECT user_id, regions FROM foreign_users",  # noqa: S608
            {"region": region},
        )
        return {int(user_id): tuple(regions) for user_id, regions in cursor.fetchall()}


# -- 3. data in flight: the replication outbox and the Celery queue ------------------------------


def outbox_model() -> type[models.Model] | None:
    """The replication outbox, if the replication app is installed."""
    if not apps.is_installed("crm.replication") and "replication" not in apps.app_configs:
        return None
    for model in apps.get_app_config("replication").get_models():
        if "outbox" in model.__name__.lower():
            return model
    return None


def _model_label_column(model: type[models.Model]) -> str | None:
    names = {model_field.name: model_field for model_field in model._meta.concrete_fields}
    for candidate in ("model", "model_label", "label", "entity", "object_type", "kind"):
        if candidate in names and isinstance(names[candidate], models.CharField):
            return str(names[candidate].column)
    return None


def scan_outbox(region: str, checked: dict[str, int]) -> list[Finding]:
    """Outbox rows of a personal-data model would carry personal data out of the cell."""
    outbox = outbox_model()
    if outbox is None:
        return []
    column = _model_label_column(outbox)
    if column is None:
        return []
    personal = sorted(
        {
            label
            for model in apps.get_models()
            if (placement := placement_of(model)) is not None and placement.personal_data
            for label in (model._meta.label_lower, model._meta.label)
        }
    )
    table = outbox._meta.db_table
    pk = outbox._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT {column}, count(*), (array_agg({pk}::text ORDER BY {pk}))[1:{SAMPLE}],
                   (SELECT count(*) FROM {table})
            FROM {table} WHERE {column} = ANY(%s) GROUP BY {column}
            """,  # noqa: S608
            [personal],
        )
        rows = cursor.fetchall()
        if not rows:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            checked["outbox"] = int(cursor.fetchone()[0])
    if rows:
        checked["outbox"] = int(rows[0][3])
    return [
        Finding(
            "outbox",
            f"public.{table} ({outbox._meta.label})",
            ("?",),
            int(count),
            f"rows of {label}, a model with personal data, waiting to leave the cell",
            tuple(sample),
        )
        for label, count, sample, _total in rows
    ]


@dataclass(frozen=True)
class _Directory:
    """What a message may name, for the BUs and users of other regions."""

    schemas: dict[str, str]  # schema -> region
    bu_ids: dict[int, str]
    handles: dict[str, str]
    local_schemas: frozenset[str]
    users: dict[int, tuple[str, ...]]


def _directory(region: str) -> _Directory:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bu.id, bu.schema_name, g.code || '.' || bu.code, bu.region_id "
            "FROM public.tenants_businessunit bu JOIN public.tenants_group g ON g.id = bu.group_id"
        )
        rows = cursor.fetchall()
    foreign = [row for row in rows if row[3] != region]
    return _Directory(
        schemas={schema: home for _id, schema, _handle, home in foreign},
        bu_ids={int(bu_id): home for bu_id, _schema, _handle, home in foreign},
        handles={handle: home for _id, _schema, handle, home in foreign},
        local_schemas=frozenset(schema for _id, schema, _handle, home in rows if home == region),
        users=foreign_user_regions(region),
    )


def queued_messages(broker_url: str, queue: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, decoded message) for each message waiting in `queue` or taken but unacknowledged.

    Read with LRANGE / HVALS: nothing is consumed or acknowledged.
    """
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        # kombu keeps a queue's priorities in sibling lists: `<queue>\x06\x16<priority>`.
        names = [queue, *(f"{queue}\x06\x16{priority}" for priority in range(1, 10))]
        for name in names:
            for raw in client.lrange(name, 0, -1):
                message = _decode(raw)
                if message is not None:
                    yield f"queue {queue}", message
        for raw in client.hvals("unacked"):
            try:
                envelope = json.loads(raw)
            except ValueError:
                continue
            if isinstance(envelope, list) and envelope and isinstance(envelope[0], dict):
                message = _decode(json.dumps(envelope[0]).encode())
                if message is not None:
                    yield f"queue {queue} (unacked)", message
    finally:
        client.close()


def drop_queued_tasks(broker_url: str, queue: str, schema: str) -> int:
    """Remove the messages waiting in `queue` that would run in `schema` (a BU that left this
    cell: they cannot run here any more, and they may carry its data). Returns how many."""
    import redis

    client = redis.Redis.from_url(broker_url)
    removed = 0
    try:
        for name in [queue, *(f"{queue}\x06\x16{priority}" for priority in range(1, 10))]:
            for raw in client.lrange(name, 0, -1):
                message = _decode(raw)
                if message is not None and message["headers"].get("_schema_name") == schema:
                    removed += int(client.lrem(name, 1, raw))  # type: ignore[arg-type]
    finally:
        client.close()
    return removed


def _decode(raw: bytes | str) -> dict[str, Any] | None:
    """The task name, headers and arguments of a kombu message (Celery protocol 2, JSON)."""
    try:
        envelope = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(envelope, dict):
        return None
    headers = envelope.get("headers") or {}
    body: Any = envelope.get("body", "")
    properties = envelope.get("properties") or {}
    if properties.get("body_encoding") == "base64" and isinstance(body, str):
        try:
            body = base64.b64decode(body)
        except ValueError:
            body = b""
    arguments: Any = None
    if isinstance(body, bytes | str) and body:
        try:
            arguments = json.loads(body)
        except ValueError:
            arguments = None
    return {
        "id": headers.get("id", ""),
        "task": headers.get("task", ""),
        "headers": headers,
        "arguments": arguments,
    }


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _walk(item, str(name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item, key)
    else:
        yield key, value


def _foreign_references(message: dict[str, Any], directory: _Directory) -> list[str]:
    """Regions of other cells that the message's schema or arguments point at."""
    regions: list[str] = []
    schema = message["headers"].get("_schema_name")
    if isinstance(schema, str) and schema not in ("", "public"):
        if schema in directory.schemas:
            regions.append(directory.schemas[schema])
        elif schema not in directory.local_schemas:
            regions.append("?")
    for key, value in _walk(message["arguments"]):
        if key in ("business_unit_id", "business_unit", "tenant_id") and isinstance(value, int):
            if value in directory.bu_ids:
                regions.append(directory.bu_ids[value])
        elif key in ("business_unit", "handle", "business_unit_handle") and isinstance(value, str):
            if value in directory.handles:
                regions.append(directory.handles[value])
        elif key in ("schema_name", "schema") and isinstance(value, str):
            if value in directory.schemas:
                regions.append(directory.schemas[value])
        elif key.endswith("user_id") and isinstance(value, int) and value in directory.users:
            regions.extend(directory.users[value])
    return sorted(set(regions))


def scan_queue(
    region: str, *, broker_url: str, queue: str, checked: dict[str, int]
) -> list[Finding]:
    messages = list(queued_messages(broker_url, queue))
    checked["queued_messages"] = len(messages)
    if not messages:
        return []
    directory = _directory(region)
    hits: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for where, message in messages:
        regions = _foreign_references(message, directory)
        if regions:
            key = (where, str(message["task"]), tuple(regions))
            hits.setdefault(key, []).append(str(message["id"]))
    return [
        Finding(
            "task",
            where,
            regions,
            len(ids),
            f"task {task} for a business unit or user of region {'/'.join(regions)}",
            tuple(ids[:SAMPLE]),
        )
        for (where, task, regions), ids in hits.items()
    ]


def findings_text(findings: Iterable[Finding]) -> str:
    return "\n".join(finding.line() for finding in findings)
