"""Versions: per group, gapless, in outbox order, given only once the writing transaction is over
(so that a transaction committing late is numbered late, never skipped)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from crm.replication.models import OutboxEntry, Stream
from crm.replication.sequencing import assign_versions, snapshot
from crm.tests.fixtures.world import World
from crm.tests.replication.helpers import outbox_after, outbox_mark

INSERT_MATERIAL = (
    "INSERT INTO masterdata_material (group_id, code, unit, status, name, description) "
    "VALUES (%s, %s, 'PCS', 'ACTIVE', 'Other session', '') RETURNING id"
)


def _raw(*, cell: str | None) -> psycopg.Connection:
    """Another session on the test database (committing for real), optionally as a cell."""
    params = connection.get_connection_params()
    keep = {k: params[k] for k in ("dbname", "user", "password", "host", "port") if k in params}
    if cell:
        keep["options"] = f"-c crm.region={cell}"
    return psycopg.connect(**keep)


@pytest.fixture
def committed_materials() -> Iterator[list[int]]:
    """Ids of materials other sessions commit during the test; removed (uncaptured) after it."""
    ids: list[int] = []
    yield ids
    with _raw(cell=None) as cleaner:  # no crm.region: not captured, not refused
        cleaner.execute("DELETE FROM masterdata_material WHERE id = ANY(%s)", [ids])
        cleaner.execute(
            "DELETE FROM replication_outboxentry WHERE model = 'masterdata.material'"
            " AND object_pk = ANY(%s)",
            [[str(i) for i in ids]],
        )
        cleaner.commit()


def test_versions_are_per_group_gapless_and_in_outbox_order(world: World) -> None:
    assign_versions()
    before = dict(Stream.objects.values_list("group_id", "last_version"))
    mark = outbox_mark()
    for n in range(3):
        for group_id in (world.acme_id, world.rival_id):
            connection.cursor().execute(INSERT_MATERIAL, [group_id, f"S-{n}"])
    moved = assign_versions()
    entries = outbox_after(mark)
    for group_id in (world.acme_id, world.rival_id):
        mine = [e.version for e in entries if e.group_id == group_id]
        start = before.get(group_id, 0)
        assert mine == [start + 1, start + 2, start + 3]
        assert moved[group_id] == start + 3
        assert Stream.objects.get(group_id=group_id).last_version == start + 3
    # Nothing new: nothing moves, nothing is numbered twice.
    assert assign_versions() == {}
    assert not OutboxEntry.objects.filter(version__isnull=True).exists()


def test_an_open_transaction_holds_back_later_ones_and_is_numbered_when_it_commits(
    committed_materials: list[int], world: World
) -> None:
    # (committed_materials first: it cleans up after the test's transaction is rolled back.)
    assign_versions()
    head = Stream.objects.get(group_id=world.acme_id).last_version
    early = _raw(cell="cn")  # starts first, writes first, commits last
    late = _raw(cell="cn")
    try:
        (early_id,) = early.execute(INSERT_MATERIAL, [world.acme_id, "EARLY"]).fetchone()
        committed_materials.append(early_id)
        (late_id,) = late.execute(INSERT_MATERIAL, [world.acme_id, "LATE"]).fetchone()
        committed_materials.append(late_id)
        late.commit()
        # The late transaction is over, but an earlier one still runs: nothing is numbered
        # (an id below the late one's may still commit).
        assert assign_versions() == {}
        early.commit()
        assert assign_versions() == {world.acme_id: head + 2}
    finally:
        early.close()
        late.close()
    numbered = dict(
        OutboxEntry.objects.filter(
            model="masterdata.material", object_pk__in=[str(early_id), str(late_id)]
        ).values_list("object_pk", "version")
    )
    assert numbered == {str(early_id): head + 1, str(late_id): head + 2}


def test_snapshot_puts_every_current_row_of_the_home_groups_in_the_outbox(world: World) -> None:
    mark = outbox_mark()
    count = snapshot([world.acme_id])
    entries = outbox_after(mark)
    assert count == len(entries) > 0
    assert {e.group_id for e in entries} == {world.acme_id}
    assert {e.op for e in entries} == {"upsert"}
    models = [e.model for e in entries]
    # Parents first: the group, its BUs and their domains, then the master data.
    assert models[0] == "tenants.group"
    assert models.index("tenants.businessunit") < models.index("tenants.domain")
    assert models.index("masterdata.material") < models.index("masterdata.pricelistitem")
    from crm.masterdata.models import Material

    assert (
        models.count("masterdata.material")
        == Material.objects.filter(group_id=world.acme_id).count()
    )
