"""The sender's side that needs no second cell: batch ranges follow transactions, bodies carry
the rows exactly, acknowledged entries are pruned after their retention."""

from __future__ import annotations

import datetime
import json

from django.db import connection
from django.test import override_settings
from django.utils import timezone

from crm.masterdata.models import Material
from crm.replication.models import Delivery, OutboxEntry, Stream
from crm.replication.sequencing import assign_versions
from crm.replication.transport import batch_body, batch_range, prune
from crm.tenants.models import Group
from crm.tests.fixtures.world import World


def _head(group_id: int) -> int:
    return Stream.objects.get(group_id=group_id).last_version


def test_a_batch_ends_with_its_last_transaction_up_to_the_maximum(world: World) -> None:
    assign_versions()
    start = _head(world.acme_id)
    Material.objects.bulk_create(
        [Material(group_id=world.acme_id, code=f"T-{n}", unit="PCS", name="T") for n in range(30)]
    )
    assign_versions()
    head = _head(world.acme_id)
    assert head == start + 30
    # All 30 entries are one transaction: a batch of 10 grows to take it whole...
    with override_settings(REPLICATION_BATCH_SIZE=10, REPLICATION_BATCH_MAX=100):
        assert batch_range(world.acme_id, start, head) == (start + 1, start + 30)
    # ...unless that passes the maximum.
    with override_settings(REPLICATION_BATCH_SIZE=10, REPLICATION_BATCH_MAX=20):
        assert batch_range(world.acme_id, start, head) == (start + 1, start + 20)


def test_the_body_carries_the_rows_as_the_table_holds_them(world: World) -> None:
    material = Material.objects.create(
        group_id=world.acme_id, code="T-EXACT", unit="PCS", name="T", standard_cost="0.1000"
    )
    assign_versions()
    head = _head(world.acme_id)
    body = batch_body(Group.objects.get(pk=world.acme_id), head, head, head).decode()
    data = json.loads(body, parse_float=str)
    assert (data["format"], data["source"], data["group"]) == (1, "cn", {"id": 1, "code": "acme"})
    (entry,) = data["entries"]
    assert (entry["version"], entry["model"], entry["op"]) == (
        head,
        "masterdata.material",
        "upsert",
    )
    assert entry["row"]["id"] == material.pk
    assert entry["row"]["standard_cost"] == "0.1000"  # a JSON number, not rounded through a float


def test_entries_every_target_acknowledged_are_pruned_after_the_retention(world: World) -> None:
    assign_versions()
    head = _head(world.acme_id)
    old = timezone.now() - datetime.timedelta(days=8)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE replication_outboxentry SET created_at = %s WHERE group_id = %s", [old, 1]
        )
    Delivery.objects.create(group_id=world.acme_id, target="eu", acknowledged_version=head)
    assert prune(world.acme_id, ["eu", "ap"]) == 0  # ap has acknowledged nothing
    Delivery.objects.create(group_id=world.acme_id, target="ap", acknowledged_version=head - 5)
    assert prune(world.acme_id, ["eu", "ap"]) == head - 5
    assert sorted(
        OutboxEntry.objects.filter(group_id=world.acme_id).values_list("version", flat=True)
    ) == list(range(head - 4, head + 1))
