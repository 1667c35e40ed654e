"""Working a lead: edit, (re)assign, contact, qualify, mark invalid, reopen; duplicates."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.tests.fixtures.ids import bu_gid
from crm.tests.leads.helpers import (
    access_of,
    capture,
    codes,
    lead_source,
    make_lead,
    payload,
    user_id,
)

DE = "bu_acme_de"

UPDATE = """mutation($id: ID!, $lead: LeadInput!) {
  leadUpdate(id: $id, lead: $lead) { errors { field code } lead { id companyName phone } } }"""
ASSIGN = """mutation($id: ID!, $user: ID!, $note: String) {
  leadAssign(id: $id, user: $user, note: $note) { errors { field code }
    lead { owner { username } assignments { fromUser { username } toUser { username }
      byUser { username } reason } } } }"""
STATUS = """mutation($id: ID!, $status: LeadStatus!) {
  leadSetStatus(id: $id, status: $status) { errors { field code } lead { status } } }"""
QUALIFY = """mutation($id: ID!) {
  leadQualify(id: $id) { errors { field code } lead { status } } }"""
INVALID = """mutation($id: ID!, $reason: InvalidReason!, $note: String) {
  leadMarkInvalid(id: $id, invalidReason: $reason, note: $note) { errors { field code }
    lead { status invalidReason invalidNote } } }"""
CREATE = """mutation($lead: LeadInput!, $owner: ID) {
  leadCreate(lead: $lead, owner: $owner) { errors { field code }
    lead { id owner { username } channel } duplicates { kind id reason } } }"""


@pytest.fixture
def de(world, settings):
    settings.REGION = "eu"
    lead_source("WEBSITE")
    return world


def gid(lead: Any) -> str:
    return to_global_id("Lead", lead.pk)


def user_gid(username: str) -> str:
    return to_global_id("User", user_id(username))


def events_seen(monkeypatch: Any) -> list[Any]:
    from crm.tenants.automation import engine

    seen: list[Any] = []
    monkeypatch.setattr(engine, "run", lambda access, event: seen.append(event))
    return seen


def test_sales_edits_own_lead_with_capture_validation(de, graphql, monkeypatch):
    with schema_context(DE):
        lead = make_lead(owner="acme.de.sales", company_name="Old")
    seen = events_seen(monkeypatch)
    ok = payload(
        graphql(
            UPDATE,
            {"id": gid(lead), "lead": {"companyName": "New AG", "phone": "0049 89 1"}},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadUpdate",
    )
    assert ok["errors"] == []
    assert ok["lead"]["companyName"] == "New AG"
    assert ok["lead"]["phone"] == "+49891"
    assert [e.changes["company_name"] for e in seen] == [("Old", "New AG")]
    bad = payload(
        graphql(
            UPDATE, {"id": gid(lead), "lead": {"email": "nope"}}, bu="acme.de", as_="acme.de.sales"
        ),
        "leadUpdate",
    )
    assert codes(bad) == [("email", "INVALID_ARGUMENT")]


def test_update_of_a_closed_lead_is_record_closed(de, graphql):
    with schema_context(DE):
        lead = make_lead(owner="acme.de.sales", status="CONVERTED")
    found = payload(
        graphql(
            UPDATE,
            {"id": gid(lead), "lead": {"companyName": "X"}},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadUpdate",
    )
    assert codes(found) == [("id", "RECORD_CLOSED")]


def test_sales_cannot_edit_someone_elses_lead(de, graphql):
    with schema_context(DE):
        lead = make_lead(owner="acme.de.manager")
    found = payload(
        graphql(
            UPDATE,
            {"id": gid(lead), "lead": {"companyName": "X"}},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadUpdate",
    )
    assert codes(found) == [("id", "NOT_FOUND")]


def test_required_field_cannot_be_emptied(de, graphql):
    from crm.tenants.customfields.models import FieldRequirement

    with schema_context(DE):
        lead = make_lead(owner="acme.de.sales")
        FieldRequirement.objects.create(record_type="lead", field="company_name")
    found = payload(
        graphql(
            UPDATE,
            {"id": gid(lead), "lead": {"companyName": ""}},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadUpdate",
    )
    assert codes(found) == [("companyName", "REQUIRED_FIELD_MISSING")]


def test_manager_assigns_and_every_assignment_is_recorded(de, graphql, monkeypatch):
    with schema_context(DE):
        lead = make_lead(owner="acme.de.manager")
    seen = events_seen(monkeypatch)
    found = payload(
        graphql(
            ASSIGN,
            {"id": gid(lead), "user": user_gid("acme.de.sales"), "note": "speaks Bavarian"},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "leadAssign",
    )
    assert found["errors"] == []
    assert found["lead"]["owner"]["username"] == "acme.de.sales"
    assert found["lead"]["assignments"] == [
        {
            "fromUser": {"username": "acme.de.manager"},
            "toUser": {"username": "acme.de.sales"},
            "byUser": {"username": "acme.de.manager"},
            "reason": "speaks Bavarian",
        }
    ]
    assert [(e.trigger, e.changes) for e in seen] == [
        ("FIELD_CHANGED", {"owner": (user_id("acme.de.manager"), user_id("acme.de.sales"))})
    ]


@pytest.mark.parametrize("username", ["acme.jp.sales", "acme.nobody", "rival.admin"])
def test_assignment_to_a_user_outside_the_bu_is_invalid_assignee(de, graphql, username):
    from crm.tenants.leads.models import LeadAssignment

    with schema_context(DE):
        lead = make_lead(owner="acme.de.manager")
    found = payload(
        graphql(
            ASSIGN,
            {"id": gid(lead), "user": user_gid(username)},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "leadAssign",
    )
    assert codes(found) == [("user", "INVALID_ASSIGNEE")]
    with schema_context(DE):
        lead.refresh_from_db()
        assert lead.owner_id == user_id("acme.de.manager")
        assert not LeadAssignment.objects.filter(lead=lead).exists()


def test_front_sales_cannot_assign(de, graphql):
    with schema_context(DE):
        lead = make_lead(owner="acme.de.sales")
    found = payload(
        graphql(
            ASSIGN,
            {"id": gid(lead), "user": user_gid("acme.de.manager")},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadAssign",
    )
    assert [e["code"] for e in found["errors"]] == ["PERMISSION_DENIED"]


def test_create_by_hand_is_the_creators_and_a_manager_may_name_an_owner(de, graphql):
    mine = payload(
        graphql(
            CREATE,
            {"lead": {"lastName": "Huber", "source": "WEBSITE"}},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadCreate",
    )
    assert mine["errors"] == []
    assert mine["lead"]["owner"]["username"] == "acme.de.sales"
    assert mine["lead"]["channel"] == "MANUAL"
    theirs = payload(
        graphql(
            CREATE,
            {"lead": {"lastName": "Maier"}, "owner": user_gid("acme.de.sales")},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "leadCreate",
    )
    assert theirs["errors"] == []
    assert theirs["lead"]["owner"]["username"] == "acme.de.sales"
    refused = payload(
        graphql(
            CREATE,
            {"lead": {"lastName": "Maier"}, "owner": user_gid("acme.de.manager")},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadCreate",
    )
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    outside = payload(
        graphql(
            CREATE,
            {"lead": {"lastName": "Maier"}, "owner": user_gid("acme.jp.sales")},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "leadCreate",
    )
    assert codes(outside) == [("owner", "INVALID_ASSIGNEE")]


def test_legal_cannot_create(de, graphql):
    found = payload(
        graphql(CREATE, {"lead": {"lastName": "Huber"}}, bu="acme.de", as_="acme.de.legal"),
        "leadCreate",
    )
    assert [e["code"] for e in found["errors"]] == ["PERMISSION_DENIED"]


def test_status_moves_emit_stage_changed_and_others_are_refused(de, graphql, monkeypatch):
    with schema_context(DE):
        lead = make_lead(owner="acme.de.sales")
    seen = events_seen(monkeypatch)

    def move(status: str, as_: str = "acme.de.sales") -> dict[str, Any]:
        return payload(
            graphql(STATUS, {"id": gid(lead), "status": status}, bu="acme.de", as_=as_),
            "leadSetStatus",
        )

    assert codes(move("QUALIFIED")) == [("id", "INVALID_STAGE_CHANGE")]
    assert move("CONTACTED")["lead"]["status"] == "CONTACTED"
    qualified = payload(
        graphql(QUALIFY, {"id": gid(lead)}, bu="acme.de", as_="acme.de.sales"), "leadQualify"
    )
    assert qualified["lead"]["status"] == "QUALIFIED"
    assert codes(move("NEW")) == [("id", "INVALID_STAGE_CHANGE")]
    assert codes(move("CONVERTED")) == [("status", "INVALID_STAGE_CHANGE")]
    assert [(e.trigger, e.changes["stage"]) for e in seen] == [
        ("STAGE_CHANGED", ("NEW", "CONTACTED")),
        ("STAGE_CHANGED", ("CONTACTED", "QUALIFIED")),
    ]
    assert len({e.occurrence for e in seen}) == 2
    with schema_context(DE):
        lead.refresh_from_db()
        assert lead.first_contacted_at is not None


def test_qualifying_checks_fields_required_from_qualified(de, graphql):
    from crm.tenants.customfields.models import FieldRequirement

    with schema_context(DE):
        lead = make_lead(owner="acme.de.sales", status="CONTACTED", phone="")
        FieldRequirement.objects.create(record_type="lead", field="phone", from_stage="QUALIFIED")
    found = payload(
        graphql(QUALIFY, {"id": gid(lead)}, bu="acme.de", as_="acme.de.sales"), "leadQualify"
    )
    assert codes(found) == [("phone", "REQUIRED_FIELD_MISSING")]
    with schema_context(DE):
        lead.refresh_from_db()
        assert lead.status == "CONTACTED"


def test_mark_invalid_then_only_a_manager_reopens(de, graphql, monkeypatch):
    with schema_context(DE):
        lead = make_lead(owner="acme.de.sales")
    found = payload(
        graphql(
            INVALID,
            {"id": gid(lead), "reason": "SPAM", "note": "bot"},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadMarkInvalid",
    )
    assert found["lead"] == {"status": "INVALID", "invalidReason": "SPAM", "invalidNote": "bot"}
    again = payload(
        graphql(INVALID, {"id": gid(lead), "reason": "SPAM"}, bu="acme.de", as_="acme.de.sales"),
        "leadMarkInvalid",
    )
    assert codes(again) == [("id", "RECORD_CLOSED")]
    edit = payload(
        graphql(
            UPDATE,
            {"id": gid(lead), "lead": {"companyName": "X"}},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadUpdate",
    )
    assert codes(edit) == [("id", "RECORD_CLOSED")]
    refused = payload(
        graphql(STATUS, {"id": gid(lead), "status": "NEW"}, bu="acme.de", as_="acme.de.sales"),
        "leadSetStatus",
    )
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    contacted = payload(
        graphql(
            STATUS, {"id": gid(lead), "status": "CONTACTED"}, bu="acme.de", as_="acme.de.manager"
        ),
        "leadSetStatus",
    )
    assert codes(contacted) == [("id", "INVALID_STAGE_CHANGE")]
    reopened = payload(
        graphql(STATUS, {"id": gid(lead), "status": "NEW"}, bu="acme.de", as_="acme.de.manager"),
        "leadSetStatus",
    )
    assert reopened["errors"] == []
    assert reopened["lead"]["status"] == "NEW"
    with schema_context(DE):
        lead.refresh_from_db()
        assert (lead.invalid_reason, lead.invalid_note) == ("", "")


def test_duplicates_against_a_lead_a_contact_and_a_golden_customer(de, graphql):
    from crm.masterdata.customers.identity import normalized_name
    from crm.masterdata.customers.models import Customer
    from crm.tenants.contacts.models import Contact
    from crm.tenants.leads.models import Lead

    golden = Customer.objects.create(
        group_id=de.acme_id,
        code="DUP-1",
        legal_name="Kraftwerk Displays GmbH",
        normalized_name=normalized_name("Kraftwerk Displays GmbH"),
        country="DE",
    )
    Customer.objects.create(  # same name, other country: not a duplicate
        group_id=de.acme_id,
        code="DUP-2",
        legal_name="Kraftwerk Displays",
        normalized_name=normalized_name("Kraftwerk Displays"),
        country="FR",
    )
    Customer.objects.create(  # another group: never seen
        group_id=de.rival_id,
        code="DUP-3",
        legal_name="Kraftwerk Displays AG",
        normalized_name=normalized_name("Kraftwerk Displays AG"),
        country="DE",
    )
    with schema_context(DE):
        earlier = make_lead(email="anna@kraftwerk.example", owner="acme.de.sales")
        make_lead(email="anna@kraftwerk.example", status="INVALID")  # closed: not a duplicate
        contact = Contact.objects.create(last_name="Schmidt", phone="+49 (89) 777")
    found = payload(
        graphql(
            CREATE,
            {
                "lead": {
                    "lastName": "Schmidt",
                    "email": "ANNA@kraftwerk.example",
                    "phone": "+49 89 777",
                    "companyName": "KRAFTWERK DISPLAYS",
                    "country": "DE",
                }
            },
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadCreate",
    )
    assert found["errors"] == []
    assert found["duplicates"] == [
        {"kind": "LEAD", "id": bu_gid("Lead", earlier), "reason": "EMAIL"},
        {"kind": "CONTACT", "id": bu_gid("Contact", contact), "reason": "PHONE"},
        {"kind": "CUSTOMER", "id": to_global_id("Customer", golden.pk), "reason": "COMPANY_NAME"},
    ]
    with schema_context(DE):
        lead = Lead.objects.latest("id")
        assert "duplicate-suspected" in lead.tags
        assert len(lead.duplicates) == 3


def test_no_duplicates_no_tag(de):
    with schema_context(DE):
        lead = capture(access_of("acme.de.manager"), email="unique@x.example")
        assert lead.duplicates == []
        assert "duplicate-suspected" not in lead.tags
