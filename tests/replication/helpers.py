"""Helpers of the replication tests (single test database, the `cn` cell)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from crm.replication.models import OutboxEntry


def outbox_after(mark: int) -> list[OutboxEntry]:
    return list(OutboxEntry.objects.filter(id__gt=mark).order_by("id"))


def outbox_mark() -> int:
    last = OutboxEntry.objects.order_by("-id").values_list("id", flat=True).first()
    return int(last or 0)


@contextmanager
def cell_region(region: str) -> Iterator[None]:
    """Act as if this database were the cell of `region` (for the rest of the transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('crm.region', %s, true)", [region])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('crm.region', 'cn', true)")


def sql(query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        return list(cursor.fetchall()) if cursor.description else []


# A group homed in the eu cell, as its home cell would send it to this (cn) cell.
EURO_GROUP = 900_001
EURO_MATERIAL = 900_101


def euro_group_row(**changes: Any) -> dict[str, Any]:
    return {
        "id": EURO_GROUP,
        "code": "euro",
        "name": "Euro Group",
        "currency": "EUR",
        "default_language": "en",
        "home_region_id": "eu",
        **changes,
    }


def euro_material_row(pk: int = EURO_MATERIAL, **changes: Any) -> dict[str, Any]:
    if "name" in changes:  # the base column and the English one, as modeltranslation writes
        changes.setdefault("name_en", changes["name"])
    return {
        "id": pk,
        "group_id": EURO_GROUP,
        "code": f"E-{pk}",
        "unit": "PCS",
        "status": "ACTIVE",
        "name": "Euro panel",
        "name_en": "Euro panel",
        "name_de": "Euro-Bildschirm",
        "description": "",
        "category_id": None,
        "standard_cost": "12.5000",
        **changes,
    }


def batch(
    first: int,
    entries: list[tuple[str, str, dict[str, Any]]],
    *,
    source: str = "eu",
    group: int = EURO_GROUP,
    head: int | None = None,
    created_at: str | None = None,
) -> dict[str, Any]:
    """A batch body: `entries` are (model, op, row), numbered from `first`."""
    import datetime

    stamp = created_at or datetime.datetime.now(datetime.UTC).isoformat()
    last = first + len(entries) - 1
    return {
        "format": 1,
        "source": source,
        "group": {"id": group, "code": "euro"},
        "first_version": first,
        "last_version": last,
        "head_version": head if head is not None else last,
        "sent_at": stamp,
        "entries": [
            {
                "version": first + offset,
                "model": model,
                "pk": str(row.get("id")),
                "op": op,
                "created_at": stamp,
                "row": row,
            }
            for offset, (model, op, row) in enumerate(entries)
        ],
    }


def post_batch(
    client: Any, body: dict[str, Any] | bytes, *, tamper: bool = False, **sign_options: Any
) -> tuple[int, dict[str, Any]]:
    """POST a signed batch to this cell's receiving endpoint; `tamper` changes it after signing."""
    import json

    from crm.regions.signing import sign

    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = sign(raw, purpose="replication", **sign_options)
    if tamper:
        raw = raw.replace(b"Euro", b"Evil", 1)
    response = client.post(
        "/internal/replication/batches",
        data=raw,
        content_type="application/json",
        headers=headers,
    )
    return response.status_code, json.loads(response.content)
