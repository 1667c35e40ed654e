"""Data-subject requests are tracked per cell against their legal deadline (one calendar month),
through their statuses, with typed refusals for bad input and for callers without the right."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from crm.regions.privacy.deadlines import add_months
from crm.regions.privacy.models import DataSubjectRequest
from crm.tests.privacy.conftest import member
from crm.tests.privacy.helpers import CREATE, FULFIL, REJECT, REQUESTS, START, payload

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (
            datetime.datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
            datetime.datetime(2026, 2, 15, 9, 30, tzinfo=UTC),
        ),
        (
            datetime.datetime(2026, 1, 31, 9, 0, tzinfo=UTC),
            datetime.datetime(2026, 2, 28, 9, 0, tzinfo=UTC),
        ),
        (
            datetime.datetime(2028, 1, 31, 9, 0, tzinfo=UTC),
            datetime.datetime(2028, 2, 29, 9, 0, tzinfo=UTC),
        ),
        (
            datetime.datetime(2026, 12, 20, 9, 0, tzinfo=UTC),
            datetime.datetime(2027, 1, 20, 9, 0, tzinfo=UTC),
        ),
    ],
)
def test_the_deadline_is_one_calendar_month_after_receipt(received, due):
    assert add_months(received, 1) == due
    assert add_months(due, -1).day <= received.day


def test_a_request_is_filed_in_this_cell_with_its_deadline(eu, graphql, officer):
    received = timezone.now() - datetime.timedelta(days=3)
    reply = graphql(
        CREATE,
        {"kind": "ERASURE", "email": "  Anna.Z@Example.ORG ", "at": received.isoformat()},
        bu="acme.de",
        as_=officer,
    )
    result = payload(reply, "dataSubjectRequestCreate")
    assert result["errors"] == []
    request = result["request"]
    assert request["identifier"] == "anna.z@example.org"
    assert request["identifierType"] == "EMAIL"
    assert request["status"] == "RECEIVED"
    assert request["region"] == "eu"
    assert request["overdue"] is False
    stored = DataSubjectRequest.objects.get()
    assert stored.deadline == add_months(stored.received_at, 1)
    assert stored.group.code == "acme"


def test_a_phone_is_normalized_to_its_international_digits(eu, graphql, officer):
    reply = graphql(
        CREATE, {"kind": "ACCESS", "phone": "0049 (89) 123-4567"}, bu="acme.de", as_=officer
    )
    request = payload(reply, "dataSubjectRequestCreate")["request"]
    assert request["identifier"] == "+49891234567"
    assert request["identifierType"] == "PHONE"


def test_overdue_requests_are_flagged_and_filtered(eu, graphql, officer):
    long_ago = timezone.now() - datetime.timedelta(days=45)
    late = payload(
        graphql(
            CREATE,
            {"kind": "ACCESS", "email": "late@example.org", "at": long_ago.isoformat()},
            bu="acme.de",
            as_=officer,
        ),
        "dataSubjectRequestCreate",
    )["request"]
    fresh = payload(
        graphql(
            CREATE, {"kind": "ACCESS", "email": "fresh@example.org"}, bu="acme.de", as_=officer
        ),
        "dataSubjectRequestCreate",
    )["request"]
    assert late["overdue"] is True
    assert fresh["overdue"] is False

    overdue = payload(
        graphql(REQUESTS, {"filter": {"overdue": True}}, bu="acme.de", as_=officer),
        "dataSubjectRequests",
    )
    assert [edge["node"]["id"] for edge in overdue["edges"]] == [late["id"]]
    on_time = payload(
        graphql(REQUESTS, {"filter": {"overdue": False}}, bu="acme.de", as_=officer),
        "dataSubjectRequests",
    )
    assert [edge["node"]["id"] for edge in on_time["edges"]] == [fresh["id"]]

    # Rejecting the late one closes it: no longer overdue.
    payload(
        graphql(
            REJECT, {"id": late["id"], "reason": "identity not verified"}, bu="acme.de", as_=officer
        ),
        "dataSubjectRequestReject",
    )
    overdue = payload(
        graphql(REQUESTS, {"filter": {"overdue": True}}, bu="acme.de", as_=officer),
        "dataSubjectRequests",
    )
    assert overdue["totalCount"] == 0


def test_requests_are_listed_most_urgent_first_and_filtered_by_status_kind_and_person(
    eu, graphql, officer
):
    now = timezone.now()
    ids = {}
    for name, kind, days_ago in (
        ("a", "ACCESS", 1),
        ("b", "ERASURE", 20),
        ("c", "PORTABILITY", 10),
    ):
        ids[name] = payload(
            graphql(
                CREATE,
                {
                    "kind": kind,
                    "email": f"{name}@example.org",
                    "at": (now - datetime.timedelta(days=days_ago)).isoformat(),
                },
                bu="acme.de",
                as_=officer,
            ),
            "dataSubjectRequestCreate",
        )["request"]["id"]
    payload(graphql(START, {"id": ids["c"]}, bu="acme.de", as_=officer), "dataSubjectRequestStart")

    listed = payload(graphql(REQUESTS, bu="acme.de", as_=officer), "dataSubjectRequests")
    assert [edge["node"]["id"] for edge in listed["edges"]] == [ids["b"], ids["c"], ids["a"]]
    started = payload(
        graphql(REQUESTS, {"filter": {"status": ["IN_PROGRESS"]}}, bu="acme.de", as_=officer),
        "dataSubjectRequests",
    )
    assert [edge["node"]["id"] for edge in started["edges"]] == [ids["c"]]
    erasures = payload(
        graphql(REQUESTS, {"filter": {"kind": "ERASURE"}}, bu="acme.de", as_=officer),
        "dataSubjectRequests",
    )
    assert [edge["node"]["id"] for edge in erasures["edges"]] == [ids["b"]]
    about_a = payload(
        graphql(REQUESTS, {"filter": {"email": "A@example.org"}}, bu="acme.de", as_=officer),
        "dataSubjectRequests",
    )
    assert [edge["node"]["id"] for edge in about_a["edges"]] == [ids["a"]]


def test_start_then_reject_and_a_closed_request_stays_closed(eu, graphql, officer):
    request_id = payload(
        graphql(CREATE, {"kind": "ACCESS", "email": "x@example.org"}, bu="acme.de", as_=officer),
        "dataSubjectRequestCreate",
    )["request"]["id"]
    started = payload(
        graphql(START, {"id": request_id}, bu="acme.de", as_=officer), "dataSubjectRequestStart"
    )
    assert started == {"errors": [], "request": {"status": "IN_PROGRESS", "handledBy": officer}}
    again = payload(
        graphql(START, {"id": request_id}, bu="acme.de", as_=officer), "dataSubjectRequestStart"
    )
    assert [e["code"] for e in again["errors"]] == ["ALREADY_DECIDED"]

    no_reason = payload(
        graphql(REJECT, {"id": request_id, "reason": "  "}, bu="acme.de", as_=officer),
        "dataSubjectRequestReject",
    )
    assert no_reason["errors"] == [{"field": "rejectionReason", "code": "REQUIRED_FIELD_MISSING"}]
    rejected = payload(
        graphql(
            REJECT,
            {"id": request_id, "reason": "not the account holder"},
            bu="acme.de",
            as_=officer,
        ),
        "dataSubjectRequestReject",
    )
    assert rejected["request"]["status"] == "REJECTED"
    assert rejected["request"]["rejectionReason"] == "not the account holder"

    for document, variables, name in (
        (FULFIL, {"id": request_id}, "dataSubjectRequestFulfil"),
        (REJECT, {"id": request_id, "reason": "twice"}, "dataSubjectRequestReject"),
        (START, {"id": request_id}, "dataSubjectRequestStart"),
    ):
        refused = payload(graphql(document, variables, bu="acme.de", as_=officer), name)
        assert refused["errors"] == [{"field": "id", "code": "ALREADY_DECIDED"}], name
    stored = DataSubjectRequest.objects.get()
    assert stored.rejection_reason == "not the account holder"


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"kind": "ACCESS", "email": "not-an-address"}, "email"),
        ({"kind": "ACCESS", "email": "a@b"}, "email"),
        ({"kind": "ACCESS", "phone": "089 1234567"}, "phone"),
        ({"kind": "ACCESS", "phone": "+49 12"}, "phone"),
        ({"kind": "ACCESS", "phone": "call me"}, "phone"),
        ({"kind": "ACCESS"}, "email"),
        ({"kind": "ACCESS", "email": "a@example.org", "phone": "+49891234567"}, "email"),
        (
            {"kind": "ACCESS", "email": "a@example.org", "at": "2999-01-01T00:00:00+00:00"},
            "receivedAt",
        ),
        ({"kind": "ACCESS", "email": "a@example.org", "note": "x" * 1001}, "note"),
    ],
)
def test_bad_input_to_create_is_refused_and_nothing_is_filed(
    eu, graphql, officer, variables, field
):
    result = payload(
        graphql(CREATE, variables, bu="acme.de", as_=officer), "dataSubjectRequestCreate"
    )
    assert result["errors"] == [{"field": field, "code": "INVALID_ARGUMENT"}]
    assert result["request"] is None
    assert not DataSubjectRequest.objects.exists()


def test_an_unknown_kind_is_refused_by_the_schema(eu, graphql, officer):
    reply = graphql(
        CREATE, {"kind": "DELETE_ALL", "email": "a@example.org"}, bu="acme.de", as_=officer
    )
    assert reply.errors
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize(
    ("document", "variables", "name"),
    [
        (FULFIL, {}, "dataSubjectRequestFulfil"),
        (START, {}, "dataSubjectRequestStart"),
        (REJECT, {"reason": "no"}, "dataSubjectRequestReject"),
    ],
)
def test_unknown_and_malformed_request_ids_are_refused(
    eu, graphql, officer, document, variables, name
):
    from graphql_relay import to_global_id

    unknown = payload(
        graphql(
            document,
            {**variables, "id": to_global_id("DataSubjectRequest", "999999")},
            bu="acme.de",
            as_=officer,
        ),
        name,
    )
    assert [e["code"] for e in unknown["errors"]] == ["NOT_FOUND"]
    malformed = payload(
        graphql(document, {**variables, "id": "not-an-id"}, bu="acme.de", as_=officer), name
    )
    assert [e["code"] for e in malformed["errors"]] == ["MALFORMED_ID"]
    other_type = payload(
        graphql(
            document, {**variables, "id": to_global_id("Lead", "1")}, bu="acme.de", as_=officer
        ),
        name,
    )
    assert [e["code"] for e in other_type["errors"]] == ["MALFORMED_ID"]


def test_who_may_file_see_and_handle_requests(eu, graphql, officer):
    filed = payload(
        graphql(CREATE, {"kind": "ACCESS", "email": "who@example.org"}, bu="acme.de", as_=officer),
        "dataSubjectRequestCreate",
    )["request"]
    # The group's administrator may too.
    by_admin = payload(
        graphql(
            CREATE, {"kind": "ACCESS", "email": "adm@example.org"}, bu="acme.de", as_="acme.admin"
        ),
        "dataSubjectRequestCreate",
    )
    assert by_admin["errors"] == []

    for username in ("acme.de.sales", "acme.de.manager", "acme.director"):
        refused = payload(
            graphql(
                CREATE, {"kind": "ACCESS", "email": "no@example.org"}, bu="acme.de", as_=username
            ),
            "dataSubjectRequestCreate",
        )
        assert refused["errors"] == [{"field": None, "code": "PERMISSION_DENIED"}], username
        listing = graphql(REQUESTS, bu="acme.de", as_=username)
        assert listing.codes == ["PERMISSION_DENIED"], username
        fulfil = payload(
            graphql(FULFIL, {"id": filed["id"]}, bu="acme.de", as_=username),
            "dataSubjectRequestFulfil",
        )
        assert [e["code"] for e in fulfil["errors"]] == ["PERMISSION_DENIED"], username

    # The auditor sees that requests exist and how they stand, not whom they are about.
    audited = graphql(REQUESTS, bu="acme.de", as_="acme.auditor")
    assert audited.data["dataSubjectRequests"]["totalCount"] == 2
    assert set(audited.codes) == {"FIELD_FORBIDDEN"}
    assert all(
        edge["node"]["identifier"] is None for edge in audited.data["dataSubjectRequests"]["edges"]
    )
    assert all(
        edge["node"]["status"] == "RECEIVED"
        for edge in audited.data["dataSubjectRequests"]["edges"]
    )
    refused = payload(
        graphql(START, {"id": filed["id"]}, bu="acme.de", as_="acme.auditor"),
        "dataSubjectRequestStart",
    )
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]

    # Another group's administrator does not even see them.
    assert DataSubjectRequest.objects.filter(status="RECEIVED").count() == 2


def test_another_group_never_sees_the_requests(eu, graphql, officer, settings):
    from crm.regions.models import Region
    from crm.tenants.models import BusinessUnitKind, Group
    from crm.tenants.provisioning import provision_business_unit

    payload(
        graphql(CREATE, {"kind": "ACCESS", "email": "mine@example.org"}, bu="acme.de", as_=officer),
        "dataSubjectRequestCreate",
    )
    provision_business_unit(
        group=Group.objects.get(code="rival"),
        code="eu",
        name="Rival EU",
        kind=BusinessUnitKind.SUBSIDIARY,
        region=Region.objects.get(code="eu"),
        language="en",
        currency="EUR",
        time_zone="Europe/Paris",
    )
    listing = graphql(REQUESTS, bu="rival.eu", as_="rival.admin")
    assert listing.errors == []
    assert listing.data["dataSubjectRequests"]["totalCount"] == 0


def test_requests_of_another_cell_are_not_listed_here(eu, graphql, officer, settings):
    payload(
        graphql(CREATE, {"kind": "ACCESS", "email": "eu@example.org"}, bu="acme.de", as_=officer),
        "dataSubjectRequestCreate",
    )
    member("acme.dpo.ap", "privacy_officer")
    settings.REGION = "ap"
    listing = graphql(REQUESTS, bu="acme.jp", as_="acme.dpo.ap")
    assert listing.data["dataSubjectRequests"]["totalCount"] == 0
