"""The API side of replication in one cell: READ_ONLY_REPLICA for writes a replica refuses,
`replicationStatus` for group admins only, and the Prometheus metrics."""

from __future__ import annotations

from typing import Any

from django.test import Client
from graphql_relay import to_global_id

from crm.masterdata.models import Material
from crm.replication.sequencing import assign_versions
from crm.replication.transport import pending
from crm.tests.fixtures.world import World
from crm.tests.replication.helpers import (
    batch,
    cell_region,
    euro_group_row,
    euro_material_row,
    post_batch,
)

RENAME = """
mutation($id: ID!) {
  materialUpdate(id: $id, names: [{language: "en", text: "Renamed"}]) {
    errors { field code message } material { code } } }
"""
STATUS = """
query($n: Int) { replicationStatus(incidents: $n) {
  region homeRegion isHome headVersion
  cells { region acknowledgedVersion appliedVersion pending failures lastError }
  incidents { kind } } }
"""


def test_a_master_data_mutation_on_a_replica_answers_read_only_replica(
    world: World, graphql: Any
) -> None:
    material = Material.objects.filter(group_id=world.acme_id).order_by("code").first()
    assert material is not None
    before = Material.objects.filter(pk=material.pk).values().get()
    with cell_region("eu"):  # this database as the eu cell: acme's home is cn
        reply = graphql(
            RENAME, {"id": to_global_id("Material", material.pk)}, as_="acme.steward", language="en"
        )
    assert reply.errors == []
    payload = reply.data["materialUpdate"]
    assert payload["material"] is None
    (error,) = payload["errors"]
    assert error["code"] == "READ_ONLY_REPLICA"
    assert error["message"] == (
        "This cell holds a read-only copy of the group's master data: write it in the group's "
        "home region “cn” at https://cn.cells.example/graphql/."
    )
    assert Material.objects.filter(pk=material.pk).values().get() == before
    # At home the same mutation goes through.
    reply = graphql(RENAME, {"id": to_global_id("Material", material.pk)}, as_="acme.steward")
    assert reply.data["materialUpdate"]["errors"] == []


def test_group_admins_see_their_groups_replication_as_the_home_cell(
    world: World, graphql: Any
) -> None:
    assign_versions()
    reply = graphql(STATUS, as_="acme.admin")
    assert reply.errors == []
    status = reply.data["replicationStatus"]
    assert (status["region"], status["homeRegion"], status["isHome"]) == ("cn", "cn", True)
    assert status["headVersion"] > 0
    assert [cell["region"] for cell in status["cells"]] == ["ap", "eu"]
    for cell in status["cells"]:
        assert cell["acknowledgedVersion"] == 0
        assert cell["pending"] == status["headVersion"] == pending(world.acme_id, cell["region"])
        assert (cell["failures"], cell["lastError"]) == (0, "")
    assert status["incidents"] == []
    rival = graphql(STATUS, bu="rival.main", as_="rival.admin").data["replicationStatus"]
    assert rival["headVersion"] != status["headVersion"]


def test_only_group_admins_see_replication(world: World, graphql: Any) -> None:
    for user, bu in (
        ("acme.steward", "acme.hq"),
        ("acme.director", "acme.hq"),
        ("acme.auditor", "acme.hq"),
    ):
        reply = graphql(STATUS, bu=bu, as_=user)
        assert reply.codes == ["PERMISSION_DENIED"], user
        assert reply.data["replicationStatus"] is None
    assert graphql(STATUS, {"n": 101}, as_="acme.admin").codes == ["INVALID_ARGUMENT"]


def test_metrics_show_applied_versions_lag_and_pending_entries(
    world: World, client: Client
) -> None:
    assign_versions()
    post_batch(
        client,
        batch(
            1,
            [
                ("tenants.group", "upsert", euro_group_row()),
                ("masterdata.material", "upsert", euro_material_row()),
            ],
        ),
    )
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert 'crm_replication_applied_version{cell="cn",group="euro",source="eu"} 2' in text
    for stat in ("last", "median", "worst"):
        assert (
            f'crm_replication_lag_seconds{{cell="cn",group="euro",source="eu",stat="{stat}"}}'
            in text
        )
    head = pending(world.acme_id, "eu")
    assert f'crm_replication_head_version{{cell="cn",group="acme"}} {head}' in text
    assert f'crm_replication_pending_entries{{cell="cn",group="acme",target="eu"}} {head}' in text
    assert 'crm_replication_acknowledged_version{cell="cn",group="acme",target="ap"} 0' in text
    assert "# TYPE crm_replication_lag_seconds gauge" in text
