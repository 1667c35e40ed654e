"""Tasks: owners and assignment, status through the policy's ADVANCE/RETREAT, my tasks, and
reminders sent exactly once (in the app and by e-mail)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.tenants.automation.models import Notification
from crm.tenants.contacts.models import Task
from crm.tenants.contacts.services import send_task_reminders
from crm.tests.relationships.helpers import (
    bu_account,
    bu_task,
    business_unit,
    gid,
    golden,
    user_id,
)

CREATE = """
mutation($owner: ID, $due: DateTime!, $remind: DateTime, $account: ID, $title: String!) {
  taskCreate(title: $title, dueAt: $due, remindAt: $remind, owner: $owner, account: $account) {
    errors { field code } task { id title status owner { username } account { localCode } } } }
"""
COMPLETE = """
mutation($id: ID!) { taskComplete(id: $id) { errors { field code } task { status completedAt } } }
"""
CANCEL = "mutation($id: ID!) { taskCancel(id: $id) { errors { field code } task { status } } }"
UPDATE = """
mutation($id: ID!, $owner: ID, $remind: DateTime) {
  taskUpdate(id: $id, owner: $owner, remindAt: $remind) {
    errors { field code } task { owner { username } remindAt } } }
"""
MINE = """
query($filter: MyTaskFilter) { myTasks(first: 20, filter: $filter) {
  totalCount edges { node { title status } } } }
"""


def later(**delta: float) -> str:
    return (timezone.now() + datetime.timedelta(**delta)).isoformat()


def create(graphql: Any, as_: str = "acme.de.sales", **variables: Any) -> Any:
    reply = graphql(
        CREATE, {"title": "Send offer", "due": later(days=1), **variables}, bu="acme.de", as_=as_
    )
    assert reply.errors == [], reply.errors
    return reply.data["taskCreate"]


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def test_a_task_is_yours_unless_a_manager_assigns_it_to_someone_of_the_bu(world, graphql, settings):
    settings.REGION = "eu"
    account = bu_account("acme.de", golden(world.acme_id, "K-TSK", "Aufgabe AG"))
    mine = create(graphql, account=gid("Account", account))
    assert mine["task"]["owner"] == {"username": "acme.de.sales"}
    assert mine["task"]["account"] == {"localCode": "L-K-TSK"}
    assert mine["task"]["status"] == "OPEN"
    other = gid("User", user_id("acme.de.manager"))
    assert codes(create(graphql, owner=other)) == [("PERMISSION_DENIED", None)]
    outsider = gid("User", user_id("acme.jp.sales"))
    assert codes(create(graphql, as_="acme.de.manager", owner=outsider)) == [
        ("INVALID_ASSIGNEE", "owner")
    ]
    given = create(graphql, as_="acme.de.manager", owner=gid("User", user_id("acme.de.sales")))
    assert given["task"]["owner"] == {"username": "acme.de.sales"}


def test_bad_tasks_are_refused(world, graphql, settings):
    settings.REGION = "eu"
    with schema_context("bu_acme_de"):
        before = Task.objects.count()
    assert codes(create(graphql, title=" ")) == [("REQUIRED_FIELD_MISSING", "title")]
    assert codes(create(graphql, due=later(days=1), remind=later(days=2))) == [
        ("INVALID_ARGUMENT", "remindAt")
    ]
    assert codes(create(graphql, account="nope")) == [("MALFORMED_ID", "account")]
    assert codes(create(graphql, owner="nope")) == [("MALFORMED_ID", "owner")]
    with schema_context("bu_acme_de"):
        assert Task.objects.count() == before


def test_completing_and_cancelling_go_through_the_policy(world, graphql, settings):
    settings.REGION = "eu"
    done = bu_task("acme.de", owner="acme.de.sales")
    dropped = bu_task("acme.de", owner="acme.de.sales")
    theirs = bu_task("acme.de", owner="acme.de.manager")
    as_sales = {"bu": "acme.de", "as_": "acme.de.sales"}
    completed = graphql(COMPLETE, {"id": gid("Task", done)}, **as_sales).data["taskComplete"]
    assert completed["errors"] == []
    assert completed["task"]["status"] == "DONE"
    assert completed["task"]["completedAt"] is not None
    again = graphql(COMPLETE, {"id": gid("Task", done)}, **as_sales).data["taskComplete"]
    assert codes(again) == [("RECORD_CLOSED", "id")]
    cancelled = graphql(CANCEL, {"id": gid("Task", dropped)}, **as_sales).data["taskCancel"]
    assert cancelled == {"errors": [], "task": {"status": "CANCELLED"}}
    # Someone else's task is not even visible to a salesperson.
    other = graphql(COMPLETE, {"id": gid("Task", theirs)}, **as_sales).data["taskComplete"]
    assert codes(other) == [("NOT_FOUND", "id")]
    # Legal holds no task of theirs: nothing to complete.
    legal = graphql(COMPLETE, {"id": gid("Task", theirs)}, bu="acme.de", as_="acme.de.legal")
    assert codes(legal.data["taskComplete"]) == [("NOT_FOUND", "id")]


def test_reassigning_needs_assign_and_a_member_of_the_bu(world, graphql, settings):
    settings.REGION = "eu"
    task = bu_task("acme.de", owner="acme.de.sales")
    manager = gid("User", user_id("acme.de.manager"))
    as_sales = {"bu": "acme.de", "as_": "acme.de.sales"}
    refused = graphql(UPDATE, {"id": gid("Task", task), "owner": manager}, **as_sales)
    assert codes(refused.data["taskUpdate"]) == [("PERMISSION_DENIED", None)]
    outsider = graphql(
        UPDATE,
        {"id": gid("Task", task), "owner": gid("User", user_id("acme.nobody"))},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert codes(outsider.data["taskUpdate"]) == [("INVALID_ASSIGNEE", "owner")]
    moved = graphql(
        UPDATE, {"id": gid("Task", task), "owner": manager}, bu="acme.de", as_="acme.de.manager"
    )
    assert moved.data["taskUpdate"]["task"]["owner"] == {"username": "acme.de.manager"}


def test_my_tasks_are_mine_and_open_unless_asked(world, graphql, settings):
    settings.REGION = "eu"
    soon = timezone.now() + datetime.timedelta(hours=3)
    bu_task("acme.de", owner="acme.de.sales", title="Soon", due_at=soon)
    bu_task(
        "acme.de", owner="acme.de.sales", title="Later", due_at=soon + datetime.timedelta(days=5)
    )
    bu_task("acme.de", owner="acme.de.sales", title="Done", status="DONE")
    bu_task("acme.de", owner="acme.de.manager", title="Not mine")

    def titles(filter: dict[str, Any] | None = None) -> list[str]:
        reply = graphql(MINE, {"filter": filter}, bu="acme.de", as_="acme.de.sales")
        assert reply.errors == [], reply.errors
        return [e["node"]["title"] for e in reply.data["myTasks"]["edges"]]

    assert titles() == ["Soon", "Later"]
    assert titles({"dueBefore": later(days=1)}) == ["Soon"]
    assert titles({"status": ["DONE"]}) == ["Done"]
    settings.REGION = "ap"
    jp = graphql("{ tasks(first: 10) { totalCount } }", bu="acme.jp", as_="acme.jp.sales")
    assert jp.data["tasks"]["totalCount"] == 0


def test_reminders_are_sent_once_in_the_app_and_by_e_mail(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="acme.de.sales").update(email="sales@acme.example")
    past = timezone.now() - datetime.timedelta(minutes=5)
    due = bu_task("acme.de", owner="acme.de.sales", title="Call back", remind_at=past)
    bu_task(
        "acme.de",
        owner="acme.de.sales",
        title="Not yet",
        remind_at=timezone.now() + datetime.timedelta(hours=1),
    )
    bu_task("acme.de", owner="acme.de.sales", title="Closed", remind_at=past, status="DONE")
    de = business_unit("acme.de")
    with schema_context("bu_acme_de"):
        with django_capture_on_commit_callbacks(execute=True):
            assert send_task_reminders(de) == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert send_task_reminders(de) == 0  # exactly once
        notes = list(Notification.objects.filter(record_type="task", record_id=due.pk))
        due.refresh_from_db()
    assert len(notes) == 1
    assert notes[0].recipient_id == user_id("acme.de.sales")
    assert "Call back" in notes[0].subject
    assert due.reminded_at is not None
    assert notes[0].emailed_at is not None
    assert [m.to for m in mailoutbox] == [["sales@acme.example"]]
    assert "Call back" in mailoutbox[0].subject


def test_a_new_reminder_time_reminds_again(world, graphql, settings):
    settings.REGION = "eu"
    past = timezone.now() - datetime.timedelta(minutes=5)
    task = bu_task("acme.de", owner="acme.de.sales", remind_at=past, reminded_at=past)
    reply = graphql(
        UPDATE,
        {"id": gid("Task", task), "remind": later(hours=1)},
        bu="acme.de",
        as_="acme.de.sales",
    )
    assert reply.data["taskUpdate"]["errors"] == []
    with schema_context("bu_acme_de"):
        task.refresh_from_db()
    assert task.reminded_at is None
