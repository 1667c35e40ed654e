"""The residency scan in the one test database, seen as the `cn` cell.

The test world gives every BU a schema in this one database, so as the `cn` cell it holds the
schemas of acme.de (eu) and acme.jp (ap) and their people: the scan must say exactly that. Each
test then makes the cell clean or dirties it in one precise way, inside the test's transaction
(PostgreSQL rolls back DDL too), and checks what the scan reports.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection
from pghistory.models import Context

from crm.platform.accounts.authentication import issue_user_token
from crm.platform.accounts.models import Membership, Role, User
from crm.platform.celery_app import app
from crm.platform.permissions.models import AuditEntry, AuditEvent
from crm.regions import residency
from crm.tenants.models import BusinessUnit

TEST_QUEUE = "crm-residency-test"  # no worker consumes it


def kinds(report: residency.ScanReport) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(finding.kind, finding.where, finding.regions) for finding in report.findings}


def scan(queue: str = TEST_QUEUE) -> residency.ScanReport:
    return residency.scan_cell(region="cn", queue=queue)


def bu(code: str) -> BusinessUnit:
    return BusinessUnit.objects.get(group__code="acme", code=code)


def make_user(username: str, *bu_codes: str | None) -> User:
    user = User.objects.create_user(username=username, password="pw", group=bu("hq").group)
    role = Role.objects.get(group=user.group, code="front_sales")
    for code in bu_codes:
        Membership.objects.create(
            group=user.group, user=user, role=role, business_unit=bu(code) if code else None
        )
    return user


def make_clean() -> None:
    """What the cn cell would hold: drop the other regions' schemas and people."""
    people = list(
        User.objects.filter(memberships__business_unit__region_id__in=("eu", "ap")).values_list(
            "pk", flat=True
        )
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA bu_acme_de CASCADE; DROP SCHEMA bu_acme_jp CASCADE")
        # Raw SQL: the ORM's cascade would look for their leads in this cell's (absent) schemas.
        cursor.execute("DELETE FROM accounts_membership WHERE user_id = ANY(%s)", [people])
        cursor.execute("DELETE FROM accounts_user WHERE id = ANY(%s)", [people])


@pytest.fixture
def queue() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(TEST_QUEUE)
    yield client
    client.delete(TEST_QUEUE)
    client.close()


def test_every_personal_shared_model_is_scanned_and_attributable():
    labels = {model._meta.label for model in residency.personal_shared_models()}
    assert {
        "accounts.User",
        "accounts.UserToken",
        "permissions.AuditEntry",
        "sessions.Session",
        "pghistory.Context",
    } <= labels
    for model in residency.personal_shared_models():
        if model._meta.label != "sessions.Session":
            # A new personal model needs a BU or user link (or a rule in residency.py).
            assert residency.attribution_sql(model) is not None, model._meta.label


def test_the_test_world_as_cn_cell_holds_the_eu_and_ap_schemas_and_their_people(world):
    report = scan()

    assert not report.clean
    assert kinds(report) == {
        ("foreign_schema", "schema bu_acme_de", ("eu",)),
        ("foreign_schema", "schema bu_acme_jp", ("ap",)),
        ("foreign_rows", "public.accounts_user (accounts.User)", ("eu",)),
        ("foreign_rows", "public.accounts_user (accounts.User)", ("ap",)),
    }
    people = {f.regions: f.count for f in report.findings if f.kind == "foreign_rows"}
    assert people == {("eu",): 4, ("ap",): 1}  # acme.de.manager/sales/legal/finance, acme.jp.sales
    jp_sales = User.objects.get(username="acme.jp.sales")
    (ap_people,) = [f for f in report.findings if f.regions == ("ap",) and f.kind == "foreign_rows"]
    assert ap_people.sample == (str(jp_sales.pk),)
    assert "acme.jp.sales" not in json.dumps(report.as_dict())  # ids, never the data
    assert report.checked["schemas"] == 4
    assert report.checked["accounts.User"] == User.objects.count()


def test_a_cell_with_only_its_own_region_is_clean_and_the_command_exits_zero(world, queue):
    make_clean()
    make_user("acme.hq.both", "hq", "de")  # works in cn too: may be here
    make_user("acme.hq.group", None, "jp")  # a group-level role: HQ staff, in every cell
    make_user("acme.unassigned")  # no role anywhere: belongs to no other region

    report = scan()

    assert report.clean, residency.findings_text(report.findings)
    out = io.StringIO()
    call_command("residency_scan", "--json", stdout=out)  # no SystemExit: exit code 0
    assert json.loads(out.getvalue())["clean"] is True


def test_the_command_exits_non_zero_and_names_each_finding(world):
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("residency_scan", "--no-broker", stdout=out)
    assert exited.value.code == 1
    text = out.getvalue()
    assert "FOUND foreign_schema: schema bu_acme_de [region eu]" in text
    assert "FOUND foreign_schema: schema bu_acme_jp [region ap]" in text
    assert "4 finding(s)." in text


def test_an_orphan_schema_is_found_by_its_name_or_by_its_tables(world, queue):
    make_clean()
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA bu_ghost_x")  # named like a BU, no BU has it
        cursor.execute("CREATE SCHEMA archive_2024; CREATE TABLE archive_2024.leads_lead (id int)")
        cursor.execute("CREATE SCHEMA reporting")  # neither: not a tenant schema

    report = scan()

    assert kinds(report) == {
        ("orphan_schema", "schema bu_ghost_x", ("?",)),
        ("orphan_schema", "schema archive_2024", ("?",)),
    }


def test_personal_rows_of_another_region_in_the_shared_schema(world, queue):
    make_clean()
    stranger = make_user("acme.de.new", "de")
    issue_user_token(stranger)
    AuditEntry.objects.create(
        group=bu("de").group, business_unit=bu("de"), event=AuditEvent.DENIED, actor="x"
    )
    # An entry of this cell's BU about the stranger belongs here (the BU decides).
    AuditEntry.objects.create(
        group=bu("hq").group, business_unit=bu("hq"), user=stranger, event="DENIED", actor="x"
    )
    AuditEntry.objects.create(group=bu("hq").group, user=stranger, event="DENIED", actor="y")
    Context.objects.create(id=uuid.uuid4(), metadata={"business_unit": "acme.jp", "user_id": 1})
    Context.objects.create(id=uuid.uuid4(), metadata={"business_unit": "acme.hq"})
    Context.objects.create(id=uuid.uuid4(), metadata={"user_id": stranger.pk})
    session = SessionStore()
    session["_auth_user_id"] = str(stranger.pk)
    session.create()

    report = scan()

    found = {(f.where, f.regions): f.count for f in report.findings}
    assert found == {
        ("public.accounts_user (accounts.User)", ("eu",)): 1,
        ("public.accounts_usertoken (accounts.UserToken)", ("eu",)): 1,
        ("public.permissions_auditentry (permissions.AuditEntry)", ("eu",)): 2,
        ("public.pghistory_context (pghistory.Context)", ("ap",)): 1,
        ("public.pghistory_context (pghistory.Context)", ("eu",)): 1,
        ("public.django_session (sessions.Session)", ("eu",)): 1,
    }
    (user_finding,) = [f for f in report.findings if f.where.endswith("(accounts.User)")]
    assert user_finding.sample == (str(stranger.pk),)


def test_a_user_who_also_works_here_is_not_a_finding_but_one_who_left_is(world, queue):
    make_clean()
    mover = make_user("acme.mover", "hq", "de")
    assert scan().clean
    Membership.objects.filter(user=mover, business_unit=bu("hq")).delete()

    report = scan()

    assert kinds(report) == {("foreign_rows", "public.accounts_user (accounts.User)", ("eu",))}


def test_queued_tasks_for_another_regions_business_unit_or_user(world, queue):
    make_clean()
    stranger = make_user("acme.de.new2", "de")
    local = make_user("acme.hq.new", "hq")
    send = app.send_task
    send("crm.any", queue=TEST_QUEUE, headers={"_schema_name": "bu_acme_de"})
    send("crm.any", queue=TEST_QUEUE, headers={"_schema_name": "bu_acme_hq"})
    send("crm.any", queue=TEST_QUEUE, headers={"_schema_name": "bu_ghost"})
    actor = {"user_id": local.pk, "api_key_id": None, "business_unit_id": bu("jp").pk}
    send("crm.actor", kwargs={"actor": actor}, queue=TEST_QUEUE)
    send("crm.user", kwargs={"user_id": stranger.pk}, queue=TEST_QUEUE)
    local_actor = {"user_id": local.pk, "api_key_id": None, "business_unit_id": bu("hq").pk}
    send("crm.local", kwargs={"actor": local_actor}, queue=TEST_QUEUE)

    report = scan()

    assert report.checked["queued_messages"] == 6
    found = {(f.detail.split()[1], f.regions): f.count for f in report.findings if f.kind == "task"}
    assert found == {
        ("crm.any", ("eu",)): 1,
        ("crm.any", ("?",)): 1,
        ("crm.actor", ("ap",)): 1,
        ("crm.user", ("eu",)): 1,
    }
    assert queue.llen(TEST_QUEUE) == 6  # read, not consumed
