"""Capture: every write path of a replicated table leaves outbox entries in its transaction,
for groups homed in this cell; a replica refuses writes to another home's groups."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from crm.masterdata.models import Material, PriceBreak, PriceList, PriceListItem, UnitOfMeasure
from crm.masterdata.transfer.importers.base import copy_insert
from crm.replication.readonly import read_only_error
from crm.tests.fixtures.world import World
from crm.tests.replication.helpers import cell_region, outbox_after, outbox_mark, sql


def test_orm_create_update_delete_are_captured_with_the_whole_row(world: World) -> None:
    mark = outbox_mark()
    material = Material.objects.create(
        group_id=world.acme_id, code="R-1", unit=UnitOfMeasure.PIECE, name="R", name_en="R"
    )
    material.standard_cost = Decimal("12.3400")
    material.save()
    material_id = material.pk
    material.delete()

    entries = outbox_after(mark)
    assert [(e.op, e.model, e.object_pk) for e in entries] == [
        ("upsert", "masterdata.material", str(material_id)),
        ("upsert", "masterdata.material", str(material_id)),
        ("delete", "masterdata.material", str(material_id)),
    ]
    assert {e.group_id for e in entries} == {world.acme_id}
    assert entries[0].data["code"] == "R-1"
    assert entries[0].data["standard_cost"] is None
    # Exact decimals, as the table holds them (jsonb keeps numeric precision).
    assert sql(
        "SELECT jsonb_typeof(data->'standard_cost'), data->>'standard_cost'"
        " FROM replication_outboxentry WHERE id = %s",
        [entries[1].id],
    ) == [("number", "12.3400")]
    assert entries[2].data["id"] == material_id
    # All from this one transaction, not yet numbered.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        (xid,) = cursor.fetchone()
    assert {e.xid for e in entries} == {xid}
    assert {e.version for e in entries} == {None}


def test_an_update_that_changes_nothing_leaves_no_entry(world: World) -> None:
    material = Material.objects.filter(group_id=world.acme_id).first()
    assert material is not None
    mark = outbox_mark()
    material.save()
    Material.objects.filter(pk=material.pk).update(code=material.code)
    assert outbox_after(mark) == []


def test_bulk_create_queryset_update_and_delete_are_captured(world: World) -> None:
    mark = outbox_mark()
    created = Material.objects.bulk_create(
        [
            Material(group_id=world.acme_id, code=f"B-{n}", unit=UnitOfMeasure.PIECE, name="B")
            for n in range(5)
        ]
    )
    Material.objects.filter(code__startswith="B-").update(status="PHASED_OUT")
    Material.objects.filter(code__startswith="B-").delete()
    ops = [(e.op, e.data["status"]) for e in outbox_after(mark)]
    assert (
        ops
        == [("upsert", "ACTIVE")] * 5
        + [("upsert", "PHASED_OUT")] * 5
        + [("delete", "PHASED_OUT")] * 5
    )
    assert len({e.object_pk for e in outbox_after(mark)}) == len(created)


def test_a_copy_import_is_captured_by_one_statement_trigger(world: World) -> None:
    records = [
        Material(group_id=world.acme_id, code=f"C-{n:04d}", unit=UnitOfMeasure.PIECE, name="C")
        for n in range(300)
    ]
    mark = outbox_mark()
    with transaction.atomic():
        copy_insert(Material, records)
    entries = outbox_after(mark)
    assert len(entries) == 300
    assert {e.object_pk for e in entries} == {str(r.pk) for r in records}
    assert {e.data["code"] for e in entries} == {r.code for r in records}


def test_rows_reach_their_group_through_their_parent(world: World) -> None:
    item = PriceListItem.objects.filter(group_id=world.acme_id).first()
    assert item is not None
    mark = outbox_mark()
    PriceBreak.objects.create(item=item, min_quantity=Decimal(10), amount=Decimal("9.50"))
    (entry,) = outbox_after(mark)
    assert (entry.model, entry.group_id) == ("masterdata.pricebreak", world.acme_id)


def test_rival_and_acme_changes_go_to_their_own_group(world: World) -> None:
    mark = outbox_mark()
    for group_id in (world.acme_id, world.rival_id):
        Material.objects.create(group_id=group_id, code="G-1", unit=UnitOfMeasure.SET, name="G")
    assert [e.group_id for e in outbox_after(mark)] == [world.acme_id, world.rival_id]


def test_writes_applied_by_replication_are_not_captured(world: World) -> None:
    mark = outbox_mark()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL crm.replicating = 'on'")
        Material.objects.create(group_id=world.acme_id, code="X-1", unit="PCS", name="X")
        cursor.execute("SET LOCAL crm.replicating = 'off'")
    assert outbox_after(mark) == []


def test_a_replica_refuses_writes_to_another_homes_groups_and_changes_nothing(
    world: World,
) -> None:
    material = Material.objects.filter(group_id=world.acme_id).order_by("code").first()
    assert material is not None
    price_list = PriceList.objects.filter(group_id=world.acme_id).first()
    assert price_list is not None
    mark = outbox_mark()
    with cell_region("eu"):  # this database acts as the eu cell: acme is homed in cn
        for write in (
            lambda: Material.objects.filter(pk=material.pk).update(name="changed"),
            lambda: Material.objects.create(group_id=world.acme_id, code="N", unit="PCS", name="N"),
            lambda: PriceListItem.objects.filter(price_list=price_list).delete(),
            lambda: copy_insert(
                Material, [Material(group_id=world.acme_id, code="CP", unit="PCS", name="C")]
            ),
        ):
            # Django's DatabaseError, or psycopg's own from a raw COPY.
            with pytest.raises(Exception) as refused, transaction.atomic():  # noqa: PT011
                write()
            error = read_only_error(refused.value)
            assert error is not None
            assert error.params == {
                "home_region": "cn",
                "endpoint": "https://cn.cells.example/graphql/",
            }
            assert "cn" in error.message
    material.refresh_from_db()
    assert material.name != "changed"
    assert PriceListItem.objects.filter(price_list=price_list).exists()
    assert not Material.objects.filter(code__in=["N", "CP"]).exists()
    assert outbox_after(mark) == []
    # Other databases errors are not mistaken for it.
    with pytest.raises(DatabaseError) as other, transaction.atomic():
        sql("SELECT 1/0")
    assert read_only_error(other.value) is None
