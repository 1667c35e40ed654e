"""Receiving batches in a replica (this test database acting as the cn cell, receiving the
group `euro` from its home cell eu): in order, once, all or nothing; refusals recorded."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.test import Client, override_settings

from crm.masterdata.models import Material
from crm.replication.models import Incident, IncidentKind, LagSample, ReplicaState
from crm.replication.readonly import read_only_error
from crm.tenants.models import Group
from crm.tests.fixtures.world import World
from crm.tests.replication.helpers import (
    EURO_GROUP,
    EURO_MATERIAL,
    batch,
    euro_group_row,
    euro_material_row,
    post_batch,
)

GROUP = "tenants.group"
MATERIAL = "masterdata.material"


def _first_two(client: Client) -> None:
    status, answer = post_batch(
        client,
        batch(1, [(GROUP, "upsert", euro_group_row()), (MATERIAL, "upsert", euro_material_row())]),
    )
    assert (status, answer["status"], answer["applied_version"]) == (200, "applied", 2)


def _state() -> tuple[int, int, int]:
    state = ReplicaState.objects.get(group_id=EURO_GROUP, source="eu")
    return state.applied_version, state.duplicates, state.gaps


def _material() -> dict[str, Any]:
    return dict(
        Material.objects.filter(pk=EURO_MATERIAL).values("code", "name", "standard_cost").get()
    )


def test_a_batch_is_applied_with_its_rows_exactly_and_its_lag_measured(
    world: World, client: Client
) -> None:
    captured_at = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=2)).isoformat()
    status, answer = post_batch(
        client,
        batch(
            1,
            [(GROUP, "upsert", euro_group_row()), (MATERIAL, "upsert", euro_material_row())],
            created_at=captured_at,
        ),
    )
    assert status == 200
    assert answer["status"] == "applied"
    assert answer["applied_version"] == 2
    assert 2_000_000 <= answer["last_lag_us"] < 60_000_000
    assert answer["worst_lag_us"] >= answer["median_lag_us"] >= 2_000_000
    group = Group.objects.get(pk=EURO_GROUP)
    assert (group.code, group.home_region_id) == ("euro", "eu")
    material = Material.objects.get(pk=EURO_MATERIAL)
    assert (material.code, material.name_de, str(material.standard_cost)) == (
        f"E-{EURO_MATERIAL}",
        "Euro-Bildschirm",
        "12.5000",
    )
    assert _state() == (2, 0, 0)
    assert LagSample.objects.filter(group_id=EURO_GROUP, source="eu").count() == 2
    assert not Incident.objects.exists()


def test_a_replayed_batch_changes_nothing_and_answers_duplicate(
    world: World, client: Client
) -> None:
    _first_two(client)
    renamed = euro_material_row(name="Renamed", name_en="Renamed")
    assert post_batch(client, batch(3, [(MATERIAL, "upsert", renamed)]))[0] == 200
    # The first batch again (its old name inside): nothing changes.
    status, answer = post_batch(
        client,
        batch(1, [(GROUP, "upsert", euro_group_row()), (MATERIAL, "upsert", euro_material_row())]),
    )
    assert (status, answer) == (200, {"status": "duplicate", "applied_version": 3})
    assert _material()["name"] == "Renamed"
    assert _state() == (3, 1, 0)
    assert not Incident.objects.exists()


def test_a_gap_or_a_reordering_changes_nothing_and_names_the_version_expected(
    world: World, client: Client
) -> None:
    _first_two(client)
    fourth = batch(4, [(MATERIAL, "upsert", euro_material_row(name="Fourth"))])
    status, answer = post_batch(client, fourth)
    assert (status, answer) == (409, {"status": "gap", "applied_version": 2, "expected": 3})
    assert _material()["name"] == "Euro panel"
    # The sender rewinds: 3 then 4 apply in order.
    third = batch(3, [(MATERIAL, "upsert", euro_material_row(name="Third"))], head=4)
    assert post_batch(client, third)[1]["status"] == "applied"
    assert post_batch(client, fourth)[1]["applied_version"] == 4
    assert _material()["name"] == "Fourth"
    assert _state() == (4, 0, 1)


def test_deletes_are_applied_by_primary_key(world: World, client: Client) -> None:
    _first_two(client)
    status, _answer = post_batch(client, batch(3, [(MATERIAL, "delete", euro_material_row())]))
    assert status == 200
    assert not Material.objects.filter(pk=EURO_MATERIAL).exists()


def test_entries_are_applied_one_by_one_when_a_constraint_needs_the_home_order(
    world: World, client: Client
) -> None:
    other = EURO_MATERIAL + 1
    _first_two(client)
    post_batch(client, batch(3, [(MATERIAL, "upsert", euro_material_row(other, code="B"))]))
    # At home, A and B swapped codes through a temporary one, in one transaction.
    swap = batch(
        4,
        [
            (MATERIAL, "upsert", euro_material_row(code="TMP")),
            (MATERIAL, "upsert", euro_material_row(other, code=f"E-{EURO_MATERIAL}")),
            (MATERIAL, "upsert", euro_material_row(code="B")),
        ],
    )
    assert post_batch(client, swap)[1]["status"] == "applied"
    codes = dict(Material.objects.filter(group_id=EURO_GROUP).values_list("pk", "code"))
    assert codes == {EURO_MATERIAL: "B", other: f"E-{EURO_MATERIAL}"}


@pytest.mark.parametrize(
    ("how", "sign_options", "reason"),
    [
        ("tampered", {}, "bad signature"),
        ("unknown key", {"key": "k9"}, "unknown signing key"),
        ("stale", {"age": 3600}, "stale timestamp"),
    ],
)
def test_an_untrusted_batch_changes_nothing_and_is_recorded(
    world: World, client: Client, how: str, sign_options: dict[str, Any], reason: str
) -> None:
    _first_two(client)
    body = batch(3, [(MATERIAL, "upsert", euro_material_row(name="Euro evil"))])
    keys = {"k1": "first-secret-0123456789", "k9": "rogue-secret-000000000"}
    with override_settings(CELL_SIGNING_KEYS=keys, CELL_SIGNING_KEY_ID="k1"):
        raw = json.dumps(body).encode()
        from crm.regions.signing import sign

        now = datetime.datetime.now(datetime.UTC)
        with override_settings(CELL_SIGNING_KEY_ID=sign_options.get("key", "k1")):
            headers = sign(
                raw,
                purpose="replication",
                now=now - datetime.timedelta(seconds=sign_options.get("age", 0)),
            )
    if how == "tampered":
        raw = raw.replace(b"Euro evil", b"Euro EVIL")
    with override_settings(CELL_SIGNING_KEYS={"k1": keys["k1"]}, CELL_SIGNING_KEY_ID="k1"):
        response = client.post(
            "/internal/replication/batches",
            data=raw,
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code == 401
    assert json.loads(response.content)["kind"] == "BAD_SIGNATURE"
    assert _material()["name"] == "Euro panel"
    assert _state() == (2, 0, 0)
    (incident,) = Incident.objects.all()
    assert incident.kind == IncidentKind.BAD_SIGNATURE
    assert reason in incident.reason
    assert (incident.source, incident.group_id, incident.first_version) == ("eu", EURO_GROUP, 3)
    assert incident.key_id == sign_options.get("key", "k1")


def test_a_malformed_batch_changes_nothing_even_its_valid_entries(
    world: World, client: Client
) -> None:
    _first_two(client)
    body = batch(
        3,
        [
            (MATERIAL, "upsert", euro_material_row(name="Fine")),
            ("accounts.user", "upsert", {"id": 1, "email": "x@example.com"}),
        ],
    )
    status, answer = post_batch(client, body)
    assert (status, answer["kind"]) == (400, "MALFORMED")
    assert "not a replicated model" in answer["reason"]
    assert _material()["name"] == "Euro panel"
    assert _state() == (2, 0, 0)
    assert Incident.objects.get().kind == IncidentKind.MALFORMED


def test_a_batch_for_a_group_homed_here_is_refused(world: World, client: Client) -> None:
    acme = Group.objects.get(pk=world.acme_id)
    for source, group in (("eu", acme.pk), ("cn", EURO_GROUP)):
        body = batch(1, [(GROUP, "upsert", {"id": group, "code": "x"})], source=source, group=group)
        status, answer = post_batch(client, body)
        assert (status, answer["kind"]) == (403, "WRONG_SOURCE")
    assert not ReplicaState.objects.exists()
    assert Incident.objects.filter(kind=IncidentKind.WRONG_SOURCE).count() == 2
    acme.refresh_from_db()
    assert acme.code == "acme"


def test_this_cell_refuses_local_writes_to_the_replicated_group(
    world: World, client: Client
) -> None:
    _first_two(client)
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        Material.objects.filter(pk=EURO_MATERIAL).update(name="local change")
    error = read_only_error(refused.value)
    assert error is not None
    assert error.params["home_region"] == "eu"
    assert _material()["name"] == "Euro panel"


def test_a_batch_above_djangos_upload_limit_is_received_and_one_above_ours_refused(
    world: World, client: Client
) -> None:
    _first_two(client)
    long_text = "x" * 100_000
    rows = [
        (MATERIAL, "upsert", euro_material_row(EURO_MATERIAL + n, description=long_text))
        for n in range(1, 31)
    ]
    body = json.dumps(batch(3, rows)).encode()
    assert len(body) > 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    status, answer = post_batch(client, body)
    assert (status, answer["applied_version"]) == (200, 32)
    assert Material.objects.filter(group_id=EURO_GROUP).count() == 31
    with override_settings(REPLICATION_MAX_BODY=1_000_000):
        status, answer = post_batch(client, batch(33, rows[:20]))
    assert (status, answer["kind"]) == (413, "MALFORMED")
    assert _state()[0] == 32
