"""Region moves in the one test database (the `cn` cell): scheduling, the freeze, the bundle.

The whole move between real cells is in `test_cells_residency.py`. Here: what a group admin
may schedule through GraphQL, that a frozen BU refuses every write but keeps answering reads,
and that the bundle a source exports loads back (into a schema dropped and cloned again, as a
target does) with the same row counts and checksums, also after an import that failed midway.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.platform.accounts.models import Membership, Role, Team, User
from crm.platform.permissions.models import AuditEntry, AuditEvent
from crm.regions.models import MoveStatus, RegionMove
from crm.regions.moves import bundle, people, tables
from crm.regions.moves.errors import MoveError
from crm.tenants.leads.models import Lead
from crm.tenants.models import BusinessUnit

SCHEDULE = """
mutation($bu: String!, $to: String!, $at: DateTime) {
  regionMoveSchedule(businessUnit: $bu, toRegion: $to, at: $at) {
    move { id businessUnit fromRegion toRegion status step frozen scheduledAt }
    errors { field code }
  }
}
"""
MOVES = "{ regionMoves(first: 10) { totalCount edges { node { id businessUnit status } } } }"
CANCEL = "mutation($id: ID!) { regionMoveCancel(id: $id) { move { status } errors { code } } }"
TEAM_CREATE = 'mutation { teamCreate(name: "Frozen") { team { name } errors { code } } }'


def bu(handle: str) -> BusinessUnit:
    group, _dot, code = handle.partition(".")
    return BusinessUnit.objects.select_related("group").get(group__code=group, code=code)


def test_a_group_admin_schedules_a_move_of_a_bu_of_this_cell(world, graphql):
    at = timezone.now() + datetime.timedelta(days=3)

    reply = graphql(SCHEDULE, {"bu": "acme.hq", "to": "eu", "at": at.isoformat()}, bu="acme.hq")

    payload = reply.data["regionMoveSchedule"]
    assert payload["errors"] == []
    move = payload["move"]
    assert move["businessUnit"] == "acme.hq"
    assert (move["fromRegion"], move["toRegion"]) == ("cn", "eu")
    assert (move["status"], move["step"], move["frozen"]) == ("SCHEDULED", "FREEZE", False)
    stored = RegionMove.objects.get()
    assert stored.scheduled_at == at
    assert stored.created_by == User.objects.get(username="acme.admin")
    entry = AuditEntry.objects.get(event=AuditEvent.REGION_MOVE)
    assert (entry.action, entry.object_ids) == ("move.scheduled", [str(stored.pk)])
    assert entry.details["business_unit"] == "acme.hq"
    listed = graphql(MOVES, bu="acme.hq").data["regionMoves"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["id"] == move["id"]


@pytest.mark.parametrize(
    ("bu_handle", "to", "code", "field"),
    [
        ("acme.de", "ap", "WRONG_REGION", "businessUnit"),  # homed in eu: ask the eu cell
        ("acme.hq", "mars", "NOT_FOUND", "toRegion"),
        ("acme.hq", "cn", "INVALID_ARGUMENT", "toRegion"),
        ("rival.main", "eu", "NOT_FOUND", "businessUnit"),  # another group's BU
        ("acme.nope", "eu", "NOT_FOUND", "businessUnit"),
    ],
)
def test_a_move_that_cannot_be_scheduled_is_refused_and_nothing_is_kept(
    world, graphql, bu_handle, to, code, field
):
    reply = graphql(SCHEDULE, {"bu": bu_handle, "to": to}, bu="acme.hq")

    assert reply.data["regionMoveSchedule"]["errors"] == [{"field": field, "code": code}]
    assert not RegionMove.objects.exists()


def test_one_open_move_per_bu_and_only_admins_schedule(world, graphql):
    assert (
        graphql(SCHEDULE, {"bu": "acme.hq", "to": "eu"}, bu="acme.hq").data["regionMoveSchedule"][
            "errors"
        ]
        == []
    )

    again = graphql(SCHEDULE, {"bu": "acme.hq", "to": "ap"}, bu="acme.hq")
    director = graphql(SCHEDULE, {"bu": "acme.hq", "to": "ap"}, bu="acme.hq", as_="acme.director")

    assert again.data["regionMoveSchedule"]["errors"] == [
        {"field": "businessUnit", "code": "ALREADY_EXISTS"}
    ]
    assert director.data["regionMoveSchedule"]["errors"][0]["code"] == "PERMISSION_DENIED"
    assert graphql(MOVES, bu="acme.hq", as_="acme.director").codes == ["PERMISSION_DENIED"]
    assert graphql(MOVES, bu="acme.hq", as_="acme.auditor").data["regionMoves"]["totalCount"] == 1
    assert RegionMove.objects.count() == 1


def test_a_scheduled_move_can_be_cancelled_once(world, graphql):
    scheduled = graphql(SCHEDULE, {"bu": "acme.hq", "to": "eu"}, bu="acme.hq")
    move_id = scheduled.data["regionMoveSchedule"]["move"]["id"]

    first = graphql(CANCEL, {"id": move_id}, bu="acme.hq")
    second = graphql(CANCEL, {"id": move_id}, bu="acme.hq")

    assert first.data["regionMoveCancel"] == {"move": {"status": "CANCELLED"}, "errors": []}
    assert second.data["regionMoveCancel"]["errors"] == [{"code": "RECORD_CLOSED"}]
    # Cancelled is closed: the BU may be scheduled again.
    rescheduled = graphql(SCHEDULE, {"bu": "acme.hq", "to": "ap"}, bu="acme.hq")
    assert rescheduled.data["regionMoveSchedule"]["errors"] == []


def freeze(handle: str) -> RegionMove:
    business_unit = bu(handle)
    return RegionMove.objects.create(
        group_id=business_unit.group_id,
        business_unit=business_unit,
        source_region_id=business_unit.region_id,
        target_region_id="eu",
        scheduled_at=timezone.now(),
        status=MoveStatus.RUNNING,
        step="EXPORT",
        frozen=True,
    )


def test_a_frozen_bu_refuses_every_mutation_but_answers_queries(world, graphql):
    freeze("acme.hq")
    teams = Team.objects.count()

    refused = graphql(TEAM_CREATE, bu="acme.hq")
    read = graphql("{ businessUnit { handle } }", bu="acme.hq")
    elsewhere = graphql(TEAM_CREATE, bu="rival.main")  # another BU of the cell: not moving
    named = graphql('mutation Named { a: teamCreate(name: "x") { errors { code } } }', bu="acme.hq")

    assert refused.codes == ["BUSINESS_UNIT_MOVING"]
    assert refused.errors[0]["extensions"]["region"] == "eu"
    assert refused.data is None
    assert named.codes == ["BUSINESS_UNIT_MOVING"]
    assert read.data == {"businessUnit": {"handle": "acme.hq"}}
    assert elsewhere.data["teamCreate"]["errors"] == []
    assert Team.objects.count() == teams + 1  # only rival's


def test_signing_in_still_works_in_a_frozen_bu(world, graphql):
    freeze("acme.hq")
    user = User.objects.get(username="acme.director")
    user.set_password("a-long-enough-password")
    user.save()

    reply = graphql(
        'mutation { signIn(username: "acme.director", password: "a-long-enough-password")'
        " { token errors { code } } }",
        bu="acme.hq",
        as_=None,
    )

    assert "BUSINESS_UNIT_MOVING" not in reply.codes
    assert reply.data["signIn"]["token"]


def test_a_bu_chosen_by_host_name_is_frozen_too(world, graphql):
    freeze("acme.hq")
    token = graphql.token_for("acme.admin")

    refused = graphql(TEAM_CREATE, bu=None, token=token, host="hq.acme.localhost")

    assert refused.codes == ["BUSINESS_UNIT_MOVING"]


def test_the_user_and_team_columns_of_a_bu_schema_are_known():
    # A new column holding a user's or a team's id must be translated on import: review here.
    assert tables.user_columns("bu_template") == {
        ("automation_notification", "recipient_id"),
        ("contacts_activity", "owner_id"),
        ("contacts_contact", "owner_id"),
        ("contacts_task", "owner_id"),
        ("leads_assignmentrule", "user_id"),
        ("leads_assignmentrule", "last_user_id"),
        ("leads_lead", "owner_id"),
        ("leads_leadassignment", "by_user_id"),
        ("leads_leadassignment", "from_user_id"),
        ("leads_leadassignment", "to_user_id"),
        ("ledger_creditnote", "owner_id"),
        ("ledger_invoice", "owner_id"),
        ("ledger_order", "owner_id"),
        ("ledger_payment", "owner_id"),
        ("localcustomers_localcustomer", "sales_owner_id"),
        ("opportunities_dealteammember", "user_id"),
        ("opportunities_opportunityevent", "user_id"),
        ("personaldata_consentevent", "user_id"),
        ("opportunities_opportunity", "owner_id"),
        ("opportunities_stageapproval", "approved_by_id"),
        # Quotes and contracts (#7): foreign keys to users, translated like the others.
        ("quotes_quote", "owner_id"),
        ("quotes_quoteapproval", "user_id"),
        ("contracts_contract", "owner_id"),
        ("contracts_contract", "signed_by_id"),
        ("contracts_approvalstep", "approver_user_id"),
        ("contracts_approvalrequest", "submitted_by_id"),
        ("contracts_approvaltask", "approver_user_id"),
        ("contracts_approvaltask", "decided_by_id"),
        ("contracts_approvaltask", "on_behalf_of_id"),
        ("contracts_approvaldelegation", "delegator_id"),
        ("contracts_approvaldelegation", "delegate_id"),
        ("contracts_approvaldelegation", "created_by_id"),
        ("contracts_approvalevent", "user_id"),
        ("contracts_approvalevent", "on_behalf_of_id"),
        # Credit control (#7): who tried to confirm a held order, who released it.
        ("creditcontrol_credithold", "blocked_by_id"),
        ("creditcontrol_creditrelease", "released_by_id"),
        # Targets (#7): the subject user and who set it.
        ("performance_target", "user_id"),
        ("performance_target", "set_by_id"),
    }
    assert tables.team_columns("bu_template") == {
        ("leads_assignmentrule", "team_id"),
        ("leads_lead", "team_id"),
        # A key without a database constraint (teams may be deleted), found in the models.
        ("performance_target", "team_id"),
    }


def seed_hq() -> tuple[Team, User]:
    """Some data of acme.hq that points at users and teams of the shared schema."""
    hq = bu("acme.hq")
    director = User.objects.get(username="acme.director")
    team = Team.objects.create(group=hq.group, business_unit=hq, name="Key accounts")
    child = Team.objects.create(group=hq.group, business_unit=hq, name="North", parent=team)
    child.members.add(director)
    with schema_context(hq.schema_name):
        for number in range(5):
            Lead.objects.create(
                last_name=f"Lead {number}", owner=director, team_id=child.pk, tags=["x"]
            )
    return child, director


def reimport(data: dict) -> dict:
    """Import the bundle the way a target cell does (the BU not homed here, its schema redone)."""
    with connection.cursor() as cursor:  # the test's pending FK checks, before the DROP
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
    BusinessUnit.objects.filter(pk=bu("acme.hq").pk).update(region_id="eu")
    return bundle.import_business_unit(bundle.decode(bundle.encode(data)))


def test_an_exported_bu_loads_back_with_the_same_counts_and_checksums(world):
    team, director = seed_hq()
    data = bundle.export_business_unit(bu("acme.hq"))
    assert data["manifest"]["leads_lead"]["rows"] == 5
    assert {row["username"] for row in data["people"]["users"]} >= {"acme.director"}
    assert [t["name"] for t in data["people"]["teams"]] == ["Key accounts", "North"]

    answer = reimport(data)

    assert answer["already_home"] is False
    assert answer["checksums"] == data["manifest"]
    new_team = Team.objects.get(business_unit=bu("acme.hq"), name="North")
    assert new_team.pk != team.pk  # recreated: the leads were translated to it
    assert new_team.parent.name == "Key accounts"
    assert list(new_team.members.all()) == [director]
    with schema_context("bu_acme_hq"):
        assert set(Lead.objects.values_list("team_id", flat=True)) == {new_team.pk}
        assert Lead.objects.count() == 5
        # The sequence is carried over (whatever earlier, rolled-back tests took from it).
        assert (
            Lead.objects.create(last_name="after").pk == data["sequences"]["leads_lead_id_seq"] + 1
        )


def test_an_import_that_fails_midway_changes_nothing_and_can_run_again(world, monkeypatch):
    seed_hq()
    data = bundle.export_business_unit(bu("acme.hq"))
    memberships = Membership.objects.filter(business_unit=bu("acme.hq")).count()

    monkeypatch.setenv("CRM_REGION_MOVE_FAULT", "import")
    with pytest.raises(MoveError, match="injected fault at import"):
        reimport(data)
    monkeypatch.delenv("CRM_REGION_MOVE_FAULT")
    assert Membership.objects.filter(business_unit=bu("acme.hq")).count() == memberships
    answer = reimport(data)
    again = reimport(data)

    assert answer["checksums"] == data["manifest"] == again["checksums"]
    assert Membership.objects.filter(business_unit=bu("acme.hq")).count() == memberships
    assert Team.objects.filter(business_unit=bu("acme.hq")).count() == 2


def test_a_bu_already_homed_here_is_never_overwritten(world):
    seed_hq()
    data = bundle.export_business_unit(bu("acme.hq"))
    with schema_context("bu_acme_hq"):
        Lead.objects.create(last_name="written after the switch")

    answer = bundle.import_business_unit(data)  # acme.hq is homed in cn, this cell

    assert answer["already_home"] is True
    with schema_context("bu_acme_hq"):
        assert Lead.objects.count() == 6


def test_purge_removes_the_bu_people_and_keeps_those_who_work_elsewhere(world):
    de = bu("acme.de")
    both = User.objects.create_user(username="acme.both", password="pw", group=de.group)
    role = Role.objects.get(group=de.group, code="front_sales")
    Membership.objects.create(group=de.group, user=both, role=role, business_unit=de)
    Membership.objects.create(group=de.group, user=both, role=role, business_unit=bu("acme.hq"))
    members = list(Membership.objects.filter(business_unit=de).values_list("user_id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA bu_acme_de CASCADE")  # as PURGE does first

    counts = people.purge_people(de, members)

    assert counts["memberships"] == 5
    assert counts["users_deleted"] == 4  # acme.de.manager, sales, legal, finance
    assert not User.objects.filter(username__startswith="acme.de.").exists()
    assert User.objects.filter(username="acme.both").exists()
    assert not Membership.objects.filter(business_unit=de).exists()


def test_due_moves_run_from_the_beat_task_and_stop_where_the_target_is_unreachable(
    world, settings, tmp_path
):
    from crm.regions.tasks import run_due_moves_task

    settings.CELL_ENDPOINTS = {"eu": "http://127.0.0.1:9"}  # nothing listens there
    settings.REGION_MOVE_DIR = tmp_path
    now = timezone.now()
    due = RegionMove.objects.create(
        group_id=world.acme_id,
        business_unit=bu("acme.hq"),
        source_region_id="cn",
        target_region_id="eu",
        scheduled_at=now - datetime.timedelta(minutes=1),
    )
    later = RegionMove.objects.create(
        group_id=world.rival_id,
        business_unit=bu("rival.main"),
        source_region_id="cn",
        target_region_id="eu",
        scheduled_at=now + datetime.timedelta(hours=1),
    )

    ran = run_due_moves_task()

    assert ran == [{"id": due.pk, "status": "FAILED", "step": "IMPORT"}]
    due.refresh_from_db()
    assert due.frozen  # writes stay refused until the move is resumed and done
    assert due.error["step"] == "IMPORT"
    assert "did not answer import" in due.error["message"]
    assert [(entry["step"], entry["outcome"]) for entry in due.log] == [
        ("FREEZE", "done"),
        ("EXPORT", "done"),
        ("IMPORT", "failed"),
    ]
    assert due.log[1]["detail"]["rows"] == sum(t["rows"] for t in due.manifest["tables"].values())
    actions = list(
        AuditEntry.objects.filter(event=AuditEvent.REGION_MOVE, object_ids=[str(due.pk)])
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["move.freeze", "move.export", "move.failed"]
    assert due.export_file.startswith(str(tmp_path))
    later.refresh_from_db()
    assert later.status == MoveStatus.SCHEDULED
