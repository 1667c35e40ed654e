"""Replication end to end between real cells: HQ (cn) changes master data through its API, a
real Celery worker of cn pushes signed batches over real HTTP, and eu applies them.

Also: eu goes down while HQ keeps changing and catches up when it comes back; a tampered batch
is refused, reported and changes nothing; a write in the replica is refused READ_ONLY_REPLICA;
a BU homed in eu that HQ creates gets its schema in eu.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from crm.regions.signing import sign
from crm.tests.fixtures.cell_directory import Directory
from crm.tests.fixtures.cells import Cells

pytestmark = pytest.mark.cells

HQ = "lumina.hq"
DE = "lumina.de"
MATERIAL_CREATE = """
mutation($code: String!, $name: String!) {
  materialCreate(code: $code, names: [{language: "en", text: $name}], unit: PIECE) {
    errors { code message } material { id code } } }
"""
MATERIAL_UPDATE = """
mutation($id: ID!, $name: String!) {
  materialUpdate(id: $id, names: [{language: "en", text: $name}]) {
    errors { code message } material { code name } } }
"""
MATERIAL_ACTIVATE = """
mutation($id: ID!) { materialChangeStage(id: $id, direction: ADVANCE) {
  errors { code message } material { status } } }
"""
MATERIAL = "query($code: String!) { material(code: $code) { id code name } }"
LIST_CREATE = """
mutation($code: String!, $from: Date!) {
  priceListCreate(code: $code, names: [{language: "en", text: "Replicated"}], currency: "EUR",
                  coverage: {scope: REGION, region: "eu"}, validFrom: $from) {
    errors { code message } priceList { id } } }
"""
SET_ITEMS = """
mutation($id: ID!, $items: [PriceInput!]!) {
  priceListSetItems(id: $id, items: $items) { errors { code message } } }
"""
ACTIVATE = """
mutation($id: ID!) { priceListChangeStage(id: $id, direction: ADVANCE) {
  errors { code message } priceList { status } } }
"""
QUOTE = """
query($code: String!) { priceQuote(lines: [{materialCode: $code, quantity: "1"}]) {
  currency lines { unitPrice { amount currency } priceList error { code } } } }
"""
STATUS = """
{ replicationStatus { region homeRegion isHome headVersion
    cells { region acknowledgedVersion appliedVersion pending lastLagSeconds medianLagSeconds
            worstLagSeconds failures lastError }
    incidents { kind reason source firstVersion } } }
"""


def wait_until(check: Callable[[], Any], *, timeout: float = 45.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.1)


def ok(reply: Any, name: str) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    assert not reply.errors, reply.errors
    payload = reply.data[name]
    assert payload.get("errors", []) == [], payload
    return dict(payload)


class Lumina:
    """Calls into the test cells as lumina's people."""

    def __init__(self, cells: Cells, directory: Directory) -> None:
        self.cells = cells
        self.directory = directory

    def hq(self, query: str, variables: dict[str, Any] | None = None, as_: str = "lumina.steward"):  # type: ignore[no-untyped-def]
        return self.cells["cn"].graphql(
            query, variables, bu=HQ, token=self.directory.token("cn", as_)
        )

    def de(self, query: str, variables: dict[str, Any] | None = None, as_: str = "lumina.de.sales"):  # type: ignore[no-untyped-def]
        return self.cells["eu"].graphql(
            query, variables, bu=DE, token=self.directory.token("eu", as_)
        )

    def new_material(self, code: str, name: str) -> str:
        """A material created and activated at HQ (sales people see active ones); its id."""
        created = ok(self.hq(MATERIAL_CREATE, {"code": code, "name": name}), "materialCreate")
        material_id = str(created["material"]["id"])
        activated = ok(self.hq(MATERIAL_ACTIVATE, {"id": material_id}), "materialChangeStage")
        assert activated["material"]["status"] == "ACTIVE"
        return material_id

    def eu_material(self, code: str) -> dict[str, Any] | None:
        reply = self.de(MATERIAL, {"code": code})
        if reply.codes == ["NOT_FOUND"]:
            return None
        assert not reply.errors, reply.errors
        found: dict[str, Any] | None = reply.data["material"]
        return found

    def head(self) -> int:
        rows = self.cells["cn"].sql(
            "SELECT last_version FROM replication_stream WHERE group_id = %s",
            [self.directory.group_id],
        )
        return int(rows[0][0]) if rows else 0

    def applied(self, region: str = "eu") -> int:
        rows = self.cells[region].sql(
            "SELECT applied_version FROM replication_replicastate WHERE group_id = %s",
            [self.directory.group_id],
        )
        return int(rows[0][0]) if rows else 0

    def caught_up(self, region: str = "eu") -> bool:
        unnumbered = self.cells["cn"].sql(
            "SELECT count(*) FROM replication_outboxentry WHERE version IS NULL"
        )[0][0]
        return unnumbered == 0 and self.applied(region) == self.head() > 0


@pytest.fixture(scope="module")
def lumina(cells: Cells) -> Iterator[Lumina]:
    """The shared directory, and cn's worker with beat (short back-off) while this module runs."""
    directory = cells.seed_directory()
    hq = cells["cn"]
    started = not hq.worker_is_up()
    if started:
        saved = dict(hq.extra_env)
        hq.extra_env.update({"REPLICATION_PUSH_INTERVAL": "1", "REPLICATION_MAX_BACKOFF": "3"})
        try:
            hq.start_worker(beat=True)
        finally:
            hq.extra_env.clear()
            hq.extra_env.update(saved)
    try:
        yield Lumina(cells, directory)
    finally:
        if started:
            hq.stop_worker()


def test_a_price_changed_at_hq_shows_up_in_eu_through_a_real_worker(lumina: Lumina) -> None:
    material_id = lumina.new_material("REPL-PRICE", "Panel")
    price_list = ok(
        lumina.hq(
            LIST_CREATE,
            {"code": "REPL-EU", "from": str(datetime.date.today() - datetime.timedelta(days=1))},
        ),
        "priceListCreate",
    )["priceList"]["id"]
    ok(
        lumina.hq(
            SET_ITEMS,
            {"id": price_list, "items": [{"materialCode": "REPL-PRICE", "amount": "100.00"}]},
        ),
        "priceListSetItems",
    )
    ok(lumina.hq(ACTIVATE, {"id": price_list}), "priceListChangeStage")

    def eu_price() -> str | None:
        reply = lumina.de(QUOTE, {"code": "REPL-PRICE"})
        assert not reply.errors, reply.errors
        line = reply.data["priceQuote"]["lines"][0]
        return line["unitPrice"]["amount"] if line["unitPrice"] else None

    assert wait_until(eu_price, what="the price in eu") == "100.00"
    assert lumina.eu_material("REPL-PRICE")["id"] == material_id  # same ids

    changed_at = time.monotonic()
    ok(
        lumina.hq(
            SET_ITEMS,
            {"id": price_list, "items": [{"materialCode": "REPL-PRICE", "amount": "120.00"}]},
            as_="lumina.admin",  # a live list's prices: the group admin's to change
        ),
        "priceListSetItems",
    )
    wait_until(lambda: eu_price() == "120.00", what="the new price in eu")
    seen_after = time.monotonic() - changed_at
    assert seen_after < 10
    # Both cells tell their side: HQ what eu acknowledged, eu what it applied and how late.
    wait_until(lambda: lumina.caught_up("eu"), what="eu caught up")
    home = lumina.hq(STATUS, as_="lumina.admin").data["replicationStatus"]
    assert (home["isHome"], home["region"]) == (True, "cn")
    cells_seen = {cell["region"]: cell for cell in home["cells"]}
    assert set(cells_seen) == {"eu", "ap"}
    eu = cells_seen["eu"]
    assert eu["acknowledgedVersion"] == home["headVersion"] == lumina.head()
    assert eu["pending"] == 0
    assert 0 < eu["lastLagSeconds"] < 10
    replica = lumina.de(STATUS, as_="lumina.admin").data["replicationStatus"]
    assert (replica["isHome"], replica["region"], replica["homeRegion"]) == (False, "eu", "cn")
    (mine,) = replica["cells"]
    assert mine["appliedVersion"] == lumina.head()
    assert 0 < mine["lastLagSeconds"] < 10
    # (The worst includes the directory seeded before this module's worker started.)
    assert 0 < mine["medianLagSeconds"] <= mine["worstLagSeconds"]
    # And as Prometheus metrics.
    metrics = lumina.cells["eu"].http("/metrics").body["raw"]
    assert (
        f'crm_replication_applied_version{{cell="eu",group="lumina",source="cn"}} {lumina.head()}'
        in metrics
    )
    assert (
        'crm_replication_lag_seconds{cell="eu",group="lumina",source="cn",stat="worst"}' in metrics
    )
    home_metrics = lumina.cells["cn"].http("/metrics").body["raw"]
    assert 'crm_replication_pending_entries{cell="cn",group="lumina",target="eu"} 0' in home_metrics


def test_a_cell_that_was_down_catches_up_from_where_it_stopped(lumina: Lumina) -> None:
    material_id = lumina.new_material("REPL-DOWN", "Before")
    wait_until(lambda: lumina.caught_up("eu"), what="eu caught up before the outage")
    before = lumina.applied("eu")

    def counters() -> list[Any]:
        return lumina.cells["eu"].sql(
            "SELECT duplicates, gaps FROM replication_replicastate WHERE group_id = %s",
            [lumina.directory.group_id],
        )

    counted_before = counters()
    eu = lumina.cells["eu"]
    eu.stop()
    try:
        for n in range(1, 6):
            ok(
                lumina.hq(MATERIAL_UPDATE, {"id": material_id, "name": f"During {n}"}),
                "materialUpdate",
            )

        # HQ keeps them and reports the failure.
        def failing() -> dict[str, Any] | None:
            status = lumina.hq(STATUS, as_="lumina.admin").data["replicationStatus"]
            eu_cell = next(c for c in status["cells"] if c["region"] == "eu")
            return eu_cell if eu_cell["failures"] > 0 and eu_cell["pending"] >= 5 else None

        down = wait_until(failing, what="HQ noticing eu is down")
        assert down["acknowledgedVersion"] == before
        assert down["lastError"]
        # ap, which is up, is not held back by eu.
        ap_row = "SELECT 1 FROM masterdata_material WHERE code = 'REPL-DOWN' AND name_en = %s"
        wait_until(lambda: lumina.cells["ap"].sql(ap_row, ["During 5"]), what="ap meanwhile")
    finally:
        eu.start()
    wait_until(lambda: lumina.caught_up("eu"), what="eu catching up after its restart")
    assert lumina.eu_material("REPL-DOWN")["name"] == "During 5"
    # It resumed where it stopped: no batch was refused as a gap or a duplicate.
    assert lumina.applied("eu") >= before + 5
    assert counters() == counted_before


def _genuine_batch(lumina: Lumina, first: int, last: int) -> bytes:
    """A batch exactly as HQ builds it (from HQ's outbox, in HQ's process)."""
    out = lumina.cells["cn"].python(
        "from crm.replication.transport import batch_body\n"
        "from crm.tenants.models import Group\n"
        "g = Group.objects.get(code='lumina')\n"
        f"print('BATCH:' + batch_body(g, {first}, {last}, {last}).decode())\n"
    )
    line = next(line for line in out.splitlines() if line.startswith("BATCH:"))
    return line[len("BATCH:") :].encode()


def _post(lumina: Lumina, body: bytes, *, tamper: bytes | None = None) -> Any:
    with override_settings(
        CELL_SIGNING_KEYS=lumina.cells.signing_keys, CELL_SIGNING_KEY_ID=lumina.cells.signing_key_id
    ):
        headers = sign(body, purpose="replication")
    if tamper is not None:
        body = tamper
    from crm.tests.fixtures.cells import _http

    return _http(
        "POST",
        lumina.cells["eu"].base_url + "/internal/replication/batches",
        body,
        {"Content-Type": "application/json", **headers},
        30,
    )


def test_a_tampered_batch_is_refused_reported_and_changes_nothing(lumina: Lumina) -> None:
    material_id = lumina.new_material("REPL-TAMPER", "Honest")
    wait_until(lambda: lumina.caught_up("eu"), what="eu caught up")
    # HQ's worker is idle now; take HQ's real next batch (a rename) and tamper with it in transit.
    ok(
        lumina.hq(MATERIAL_UPDATE, {"id": material_id, "name": "Renamed"}),
        "materialUpdate",
    )
    wait_until(lambda: lumina.caught_up("eu"), what="eu caught up with the rename")
    head = lumina.head()
    genuine = _genuine_batch(lumina, head, head)
    assert b'"Renamed"' in genuine
    tampered = genuine.replace(b'"Renamed"', b'"Hijacked"')
    state_before = lumina.cells["eu"].sql(
        "SELECT applied_version, batches FROM replication_replicastate WHERE group_id = %s",
        [lumina.directory.group_id],
    )
    answer = _post(lumina, genuine, tamper=tampered)
    assert answer.status == 401
    assert answer.body["kind"] == "BAD_SIGNATURE"
    assert lumina.eu_material("REPL-TAMPER")["name"] == "Renamed"
    assert (
        lumina.cells["eu"].sql(
            "SELECT applied_version, batches FROM replication_replicastate WHERE group_id = %s",
            [lumina.directory.group_id],
        )
        == state_before
    )
    # The genuine batch again is a replay: a duplicate, nothing changes.
    replay = _post(lumina, genuine)
    assert (replay.status, replay.body["status"]) == (200, "duplicate")
    # The incident is visible to the group's admins in eu, and in eu's metrics.
    status = lumina.de(STATUS, as_="lumina.admin").data["replicationStatus"]
    incident = status["incidents"][0]
    assert incident["kind"] == "BAD_SIGNATURE"
    assert incident["reason"] == "bad signature"
    assert (incident["source"], incident["firstVersion"]) == ("cn", head)
    assert (
        'crm_replication_incidents_total{cell="eu",kind="BAD_SIGNATURE"}'
        in (lumina.cells["eu"].http("/metrics").body["raw"])
    )
    # Sales people do not see replication.
    denied = lumina.de(STATUS)
    assert [e["extensions"]["code"] for e in denied.errors] == ["PERMISSION_DENIED"]


def test_a_write_on_the_replica_is_refused_read_only_replica(lumina: Lumina) -> None:
    material_id = lumina.new_material("REPL-RO", "Original")
    wait_until(lambda: lumina.eu_material("REPL-RO"), what="the material in eu")
    reply = lumina.de(
        MATERIAL_UPDATE,
        {"id": material_id, "name": "Changed in eu"},
        as_="lumina.admin",
    )
    assert reply.status == 200
    assert not reply.errors
    (error,) = reply.data["materialUpdate"]["errors"]
    assert error["code"] == "READ_ONLY_REPLICA"
    assert "cn" in error["message"]
    assert lumina.cells["cn"].graphql_url in error["message"]
    assert reply.data["materialUpdate"]["material"] is None
    assert lumina.eu_material("REPL-RO")["name"] == "Original"
    assert lumina.hq(MATERIAL, {"code": "REPL-RO"}).data["material"]["name"] == "Original"
    # The same refusal whatever writes: a shell in eu, straight through the ORM.
    out = lumina.cells["eu"].python(
        "from crm.masterdata.models import Material\n"
        "from crm.replication.readonly import read_only_error\n"
        "try:\n"
        "    Material.objects.filter(code='REPL-RO').update(name='sneaky')\n"
        "except Exception as error:\n"
        "    print('REFUSED', read_only_error(error).code)\n"
    )
    assert "REFUSED READ_ONLY_REPLICA" in out


def test_a_bu_homed_in_eu_that_hq_creates_gets_its_schema_in_eu(lumina: Lumina) -> None:
    lumina.cells["cn"].python(
        "from crm.regions.models import Region\n"
        "from crm.tenants.models import Group, BusinessUnitKind\n"
        "from crm.tenants.provisioning import provision_business_unit\n"
        "provision_business_unit(group=Group.objects.get(code='lumina'), code='fr',"
        " name='Lumina FR', kind=BusinessUnitKind.SUBSIDIARY, region=Region.objects.get(code='eu'),"
        " language='en', currency='EUR', time_zone='Europe/Paris',"
        " domains=['fr.lumina.localhost'])\n"
    )
    schemas = (
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name = 'bu_lumina_fr'"
    )
    assert lumina.cells["cn"].sql(schemas) == []  # not at HQ: its home is eu
    wait_until(lambda: lumina.cells["eu"].sql(schemas), what="the fr schema in eu")
    assert lumina.cells["ap"].sql(schemas) == []
    # The new BU answers in eu (its default pipeline came from the group's replicated template).
    pipelines = "SELECT count(*) FROM bu_lumina_fr.opportunities_pipeline"
    wait_until(lambda: lumina.cells["eu"].sql(pipelines)[0][0] >= 1, what="fr's pipeline")
    failed = "SELECT reason FROM replication_incident WHERE kind = 'PROVISIONING_FAILED'"
    assert lumina.cells["eu"].sql(failed) == []
    # ap knows it is eu's: a request there is WRONG_REGION.
    reply = lumina.cells["ap"].graphql("{ businessUnit { handle } }", bu="lumina.fr")
    assert reply.codes == ["WRONG_REGION"]
