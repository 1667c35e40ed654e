"""The multi-cell harness itself: real cells answer for their own region only, refuse the BUs of
another region with the right endpoint, go down and come back, and keep their data apart."""

from __future__ import annotations

import urllib.error

import pytest

from crm.tests.fixtures.cells import Cells

pytestmark = pytest.mark.cells

BUSINESS_UNIT = """
query { businessUnit { handle region { code } } me { name rolesHere { role { code } } } }
"""


def test_each_cell_answers_for_its_own_region(cells: Cells) -> None:
    assert set(cells) == {"cn", "eu", "ap"}
    ports = {cell.port for cell in cells.values()}
    assert len(ports) == 3
    for region, cell in cells.items():
        reply = cell.http("/healthz")
        assert reply.status == 200
        assert reply.body == {"status": "ok", "region": region}
        assert cells.endpoints[region] == cell.base_url


def test_each_cell_has_its_own_database(cells: Cells) -> None:
    names = {cell.sql("SELECT current_database()")[0][0] for cell in cells.values()}
    assert names == {cell.database for cell in cells.values()}
    assert len(names) == 3


def test_a_row_written_in_one_cell_is_absent_from_the_others(cells: Cells) -> None:
    # Written through the cell's own Django (not straight SQL), read back straight from SQL.
    cells["eu"].python(
        "from crm.regions.models import Region\n"
        "Region.objects.update_or_create(code='zz-eu-only', defaults={'name': 'Only EU', "
        "'jurisdiction': 'GDPR', 'api_endpoint': 'http://example.invalid/graphql/'})\n"
    )
    query = "SELECT name FROM regions_region WHERE code = %s"
    assert cells["eu"].sql(query, ["zz-eu-only"]) == [("Only EU",)]
    assert cells["cn"].sql(query, ["zz-eu-only"]) == []
    assert cells["ap"].sql(query, ["zz-eu-only"]) == []
    counted = cells["cn"].python(
        "from crm.regions.models import Region\n"
        "print(Region.objects.filter(code='zz-eu-only').count())\n"
    )
    assert counted.strip() == "0"


def test_the_directory_is_the_same_everywhere_but_schemas_live_only_at_home(cells: Cells) -> None:
    directory = cells.seed_directory()
    assert cells.seed_directory() is directory  # seeded once per session
    rows = "SELECT id, code, region_id, schema_name FROM tenants_businessunit ORDER BY id"
    listed = {region: cell.sql(rows) for region, cell in cells.items()}
    assert listed["cn"] == listed["eu"] == listed["ap"]
    assert {code: pk for pk, code, _region, _schema in listed["cn"]} == directory.business_units
    endpoints = {
        region: cell.sql("SELECT code, api_endpoint FROM regions_region WHERE code = %s", [region])
        for region, cell in cells.items()
    }
    for region, cell in cells.items():
        assert endpoints[region] == [(region, cell.graphql_url)]
    for region, cell in cells.items():
        schemas = {
            name
            for (name,) in cell.sql(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
                ["bu_lumina%"],
            )
        }
        home = {schema for _pk, _code, bu_region, schema in listed[region] if bu_region == region}
        assert schemas == home, region
        assert len(home) == 1


def test_a_bu_of_another_region_is_refused_with_its_endpoint(cells: Cells) -> None:
    directory = cells.seed_directory()
    refused = cells["cn"].graphql(
        BUSINESS_UNIT, bu="lumina.de", token=directory.token("cn"), language="en"
    )
    assert refused.status == 421
    assert refused.codes == ["WRONG_REGION"]
    extensions = refused.errors[0]["extensions"]
    assert extensions["region"] == "eu"
    assert extensions["endpoint"] == cells["eu"].graphql_url
    assert refused.data is None

    served = cells["eu"].graphql(BUSINESS_UNIT, bu="lumina.de", token=directory.token("eu"))
    assert served.status == 200, served.body
    assert served.errors == []
    assert served.data["businessUnit"] == {"handle": "lumina.de", "region": {"code": "eu"}}

    # A token from one cell means nothing in another: users are per cell.
    foreign = cells["eu"].graphql(BUSINESS_UNIT, bu="lumina.de", token=directory.token("cn"))
    assert foreign.status == 401
    assert foreign.codes == ["UNAUTHENTICATED"]


def test_bu_users_work_in_their_home_cell(cells: Cells) -> None:
    directory = cells.seed_directory()
    for bu, region in directory.bu_regions.items():
        reply = cells[region].graphql(
            BUSINESS_UNIT,
            bu=directory.handle(bu),
            token=directory.token(region, f"lumina.{bu}.manager"),
        )
        assert reply.status == 200, reply.body
        assert reply.data["businessUnit"]["region"]["code"] == region
        assert [held["role"]["code"] for held in reply.data["me"]["rolesHere"]] == ["bu_manager"]
    assert "lumina.de.manager" not in directory.tokens["cn"]


def test_a_stopped_cell_is_unreachable_until_it_is_started_again(cells: Cells) -> None:
    ap = cells["ap"]
    ap.stop()
    try:
        assert not ap.is_up()
        with pytest.raises(urllib.error.URLError, match="refused"):
            ap.http("/healthz", timeout=2)
        assert cells["eu"].is_up()  # the others carry on
    finally:
        ap.start()
    assert ap.is_up()
    assert ap.http("/healthz").body["region"] == "ap"


def test_a_crashed_cell_is_brought_back_for_the_next_test(cells: Cells) -> None:
    cn = cells["cn"]
    cn.stop(kill=True)
    assert not cn.is_up()
    cells.ensure_up()  # what runs before every test using `cells`
    assert cn.is_up()
    assert [cell.is_up() for cell in cells.values()] == [True, True, True]


def test_two_sessions_never_share_a_broker(cells: Cells) -> None:
    other = Cells()  # another session's cells (not started)
    if cells.broker == "own":  # a private redis-server per session
        assert other.redis_server is not None
        assert cells.redis_server is not None
        assert other.redis_server.port != cells.redis_server.port
    # On a shared Redis, a session claims its databases; a second one is refused while it lives.
    first = Cells(broker="shared")
    first._claim_brokers()
    try:
        with pytest.raises(RuntimeError, match="used by the cells of another test session"):
            Cells(broker="shared")._claim_brokers()
    finally:
        first._release_brokers()
    second = Cells(broker="shared")
    second._claim_brokers()  # free again
    second._release_brokers()


def test_each_cell_has_its_own_worker_and_broker(cells: Cells) -> None:
    assert len({cell.redis_url for cell in cells.values()}) == 3
    cells.seed_directory()
    eu = cells["eu"]
    eu.start_worker()
    try:
        assert eu.worker_is_up()
        # Sent to the eu broker, run by the eu worker on the eu database: it sees eu's BU only.
        result = eu.celery().send_task("crm.tenants.contacts.send_task_reminders", queue="crm-eu")
        assert result.get(timeout=30) == {"lumina.de": 0}
    finally:
        eu.stop_worker()
    assert not eu.worker_is_up()
