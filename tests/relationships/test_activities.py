"""Activities: logged against records of this BU the caller may view; a follow-up keeps "last
follow-up" on the account and the last activity on the deal and the lead; a NEW lead becomes
CONTACTED."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.tenants.automation import events
from crm.tenants.contacts.models import Activity
from crm.tenants.leads.models import Lead
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tests.relationships.helpers import (
    bu_account,
    bu_activity,
    bu_contact,
    bu_deals,
    gid,
    golden,
    user_id,
)

LOG = """
mutation($kind: LoggableActivityKind!, $account: ID, $contact: ID, $lead: ID, $opportunity: ID,
         $at: DateTime, $subject: String!) {
  activityLog(kind: $kind, subject: $subject, body: "Notes", occurredAt: $at, account: $account,
              contact: $contact, lead: $lead, opportunity: $opportunity) {
    errors { field code } activity { id kind subject account { localCode } contact { lastName }
                                     lead opportunity owner { username } } } }
"""
UPDATE = """
mutation($id: ID!, $at: DateTime, $subject: String) {
  activityUpdate(id: $id, occurredAt: $at, subject: $subject) {
    errors { field code } activity { subject occurredAt } } }
"""
DELETE = "mutation($id: ID!) { activityDelete(id: $id) { errors { field code } deletedId } }"
LIST = """
query($filter: ActivityFilter) { activities(first: 20, filter: $filter) {
  totalCount edges { node { subject kind } } } }
"""


@pytest.fixture
def account(world: Any) -> Any:
    return bu_account("acme.de", golden(world.acme_id, "K-ACT", "Aktiv AG"), owner="acme.de.sales")


def log(graphql: Any, as_: str = "acme.de.sales", bu: str = "acme.de", **variables: Any) -> Any:
    reply = graphql(LOG, {"kind": "CALL", "subject": "Call", **variables}, bu=bu, as_=as_)
    assert reply.errors == [], reply.errors
    return reply.data["activityLog"]


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def follow_up(account: Any) -> datetime.datetime | None:
    with schema_context("bu_acme_de"):
        return LocalCustomer.objects.get(pk=account.pk).last_follow_up_at


def test_a_call_with_a_contact_counts_as_the_accounts_follow_up(world, graphql, settings, account):
    settings.REGION = "eu"
    person = bu_contact("acme.de", account, owner="acme.de.sales")
    when = timezone.now() - datetime.timedelta(hours=2)
    payload = log(graphql, contact=gid("Contact", person), at=when.isoformat())
    assert payload["errors"] == []
    assert payload["activity"]["account"] == {"localCode": "L-K-ACT"}  # the contact's account
    assert payload["activity"]["owner"] == {"username": "acme.de.sales"}
    assert follow_up(account) == when
    # An older call logged later does not move it back; a note does not count at all.
    log(
        graphql, account=gid("Account", account), at=(when - datetime.timedelta(days=3)).isoformat()
    )
    log(graphql, account=gid("Account", account), kind="NOTE")
    assert follow_up(account) == when


def test_editing_or_deleting_a_follow_up_recomputes_it(world, graphql, settings, account):
    settings.REGION = "eu"
    early = timezone.now() - datetime.timedelta(days=2)
    late = timezone.now() - datetime.timedelta(hours=1)
    first = log(graphql, account=gid("Account", account), at=early.isoformat())["activity"]
    second = log(graphql, account=gid("Account", account), at=late.isoformat())["activity"]
    assert follow_up(account) == late
    graphql(DELETE, {"id": second["id"]}, bu="acme.de", as_="acme.de.sales")
    assert follow_up(account) == early
    moved = early + datetime.timedelta(hours=5)
    reply = graphql(
        UPDATE, {"id": first["id"], "at": moved.isoformat()}, bu="acme.de", as_="acme.de.sales"
    )
    assert reply.data["activityUpdate"]["errors"] == []
    assert follow_up(account) == moved


def test_a_follow_up_with_a_new_lead_makes_it_contacted(world, graphql, settings):
    settings.REGION = "eu"
    with schema_context("bu_acme_de"):
        lead = Lead.objects.create(
            last_name="Neu",
            company_name="Neu GmbH",
            overdue=True,
            owner_id=user_id("acme.de.sales"),
        )
    with mock.patch.object(events, "stage_changed", wraps=events.stage_changed) as told:
        payload = log(graphql, lead=gid("Lead", lead), kind="EMAIL")
    assert payload["activity"]["lead"] == gid("Lead", lead)
    with schema_context("bu_acme_de"):
        lead.refresh_from_db()
        activity = Activity.objects.get(lead=lead)
    assert (lead.status, lead.overdue) == ("CONTACTED", False)
    assert lead.first_contacted_at == activity.occurred_at
    assert lead.last_activity_at == activity.occurred_at
    assert [c.args[3:] for c in told.call_args_list] == [("NEW", "CONTACTED")]
    assert told.call_args.kwargs["occurrence"] == f"activity:{activity.pk}"


def test_a_follow_up_on_a_deal_keeps_its_last_activity(world, graphql, settings, account):
    settings.REGION = "eu"
    (deal,) = bu_deals("acme.de", account, owner="acme.de.sales", open_count=1, closed_count=0)
    payload = log(graphql, opportunity=gid("Opportunity", deal), kind="MEETING")
    assert payload["activity"]["account"] == {"localCode": "L-K-ACT"}
    with schema_context("bu_acme_de"):
        deal.refresh_from_db()
        stamp = Activity.objects.get(opportunity=deal).occurred_at
    assert deal.last_activity_at == stamp
    assert follow_up(account) == stamp


def test_bad_activities_are_refused_and_nothing_is_logged(world, graphql, settings, account):
    settings.REGION = "eu"
    other = bu_account("acme.de", golden(world.acme_id, "K-ACT2", "Andere AG"))
    stranger = bu_contact("acme.de", other)
    future = (timezone.now() + datetime.timedelta(minutes=10)).isoformat()
    cases = [
        ({}, ("INVALID_ARGUMENT", "account")),
        (
            {"account": gid("Account", account), "subject": " "},
            ("REQUIRED_FIELD_MISSING", "subject"),
        ),
        ({"account": gid("Account", account), "at": future}, ("INVALID_ARGUMENT", "occurredAt")),
        (
            {"account": gid("Account", account), "contact": gid("Contact", stranger)},
            ("INVALID_ARGUMENT", "contact"),
        ),
        ({"account": "bad"}, ("MALFORMED_ID", "account")),
        ({"contact": gid("Account", account)}, ("MALFORMED_ID", "contact")),
        ({"lead": gid("Lead", 987654)}, ("NOT_FOUND", "lead")),
        ({"opportunity": gid("Opportunity", 987654)}, ("NOT_FOUND", "opportunity")),
    ]
    for variables, expected in cases:
        assert codes(log(graphql, **variables)) == [expected], variables
    with schema_context("bu_acme_de"):
        assert not Activity.objects.exists()
    # ENGAGEMENT is for automation only: not a kind people can log.
    reply = graphql(
        LOG,
        {"kind": "ENGAGEMENT", "subject": "x", "account": gid("Account", account)},
        bu="acme.de",
        as_="acme.de.sales",
    )
    assert reply.errors


def test_people_edit_and_delete_their_own_activities(world, graphql, settings, account):
    settings.REGION = "eu"
    managers = bu_activity("acme.de", account=account, owner="acme.de.manager", subject="M")
    mine = bu_activity("acme.de", account=account, owner="acme.de.sales", subject="S")
    as_sales = {"bu": "acme.de", "as_": "acme.de.sales"}
    refused = graphql(UPDATE, {"id": gid("Activity", managers), "subject": "x"}, **as_sales)
    assert codes(refused.data["activityUpdate"]) == [("PERMISSION_DENIED", None)]
    assert codes(
        graphql(DELETE, {"id": gid("Activity", managers)}, **as_sales).data["activityDelete"]
    ) == [("PERMISSION_DENIED", None)]
    ok = graphql(UPDATE, {"id": gid("Activity", mine), "subject": "Better"}, **as_sales)
    assert ok.data["activityUpdate"]["activity"]["subject"] == "Better"
    # The manager edits any.
    manager = graphql(
        UPDATE,
        {"id": gid("Activity", mine), "subject": "Best"},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert manager.data["activityUpdate"]["errors"] == []


def test_activities_are_listed_by_time_and_filtered(world, graphql, settings, account):
    settings.REGION = "eu"
    now = timezone.now()
    bu_activity(
        "acme.de", account=account, subject="Old", occurred_at=now - datetime.timedelta(days=2)
    )
    bu_activity("acme.de", account=account, subject="New", kind="NOTE", occurred_at=now)
    reply = graphql(
        LIST, {"filter": {"account": gid("Account", account)}}, bu="acme.de", as_="acme.de.sales"
    )
    assert [e["node"]["subject"] for e in reply.data["activities"]["edges"]] == ["New", "Old"]
    notes = graphql(LIST, {"filter": {"kind": ["NOTE"]}}, bu="acme.de", as_="acme.de.sales")
    assert [e["node"]["subject"] for e in notes.data["activities"]["edges"]] == ["New"]
    # HQ reads activities but not their body, the finance team reads them too.
    hq = graphql(
        "query($id: ID!) { activities(first: 5, filter: {account: $id}) "
        "{ edges { node { subject body } } } }",
        {"id": gid("Account", account)},
        bu="acme.de",
        as_="acme.director",
    )
    assert hq.data["activities"]["edges"][0]["node"] == {"subject": "New", "body": None}


def test_other_business_units_cannot_log_against_or_read_acme_de_records(
    world, graphql, settings, account
):
    settings.REGION = "eu"
    bu_activity("acme.de", account=account, subject="Secret")
    settings.REGION = "ap"
    payload = log(graphql, as_="acme.jp.sales", bu="acme.jp", account=gid("Account", account))
    assert codes(payload) == [("NOT_FOUND", "account")]
    assert (
        graphql(LIST, {}, bu="acme.jp", as_="acme.jp.sales").data["activities"]["totalCount"] == 0
    )
    settings.REGION = "cn"
    assert graphql(LIST, {}, bu="rival.main").data["activities"]["totalCount"] == 0
