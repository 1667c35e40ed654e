"""Retention policies per region and kind of record: a dry run reports what would be anonymized
per business unit, a real run anonymizes exactly that and nothing twice; the nightly task does it
in a real worker, in its own cell's business units only."""

from __future__ import annotations

import datetime
import io
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.regions.privacy.models import ErasureRecord, RetentionPolicy, RetentionRun
from crm.tenants.contacts.models import Activity, Contact
from crm.tenants.leads.models import Lead
from crm.tenants.personaldata.models import Anonymization
from crm.tests.automation import helpers as automation
from crm.tests.privacy.helpers import payload, schema

SET = """
mutation($type: RetentionRecordType!, $months: Int!, $active: Boolean) {
  retentionPolicySet(recordType: $type, months: $months, active: $active) {
    errors { field code } policy { recordType months active region }
  }
}
"""
DELETE = """
mutation($type: RetentionRecordType!) {
  retentionPolicyDelete(recordType: $type) { errors { field code } deleted }
}
"""
POLICIES = "{ retentionPolicies { recordType months active } }"
DRY_RUN = "{ retentionDryRun { businessUnit recordType months contacts leads activities } }"
RUN = """
mutation($dry: Boolean) {
  retentionRunStart(dryRun: $dry) {
    errors { field code }
    run { dryRun triggeredBy report { businessUnit recordType contacts leads activities } }
  }
}
"""
RUNS = "{ retentionRuns(first: 10) { totalCount edges { node { dryRun triggeredBy } } } }"


def _ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def _old_lead(handle: str, days: int, **fields: Any) -> Lead:
    with schema_context(schema(handle)):
        lead = automation.lead(
            first_name="Olga", last_name="Veraltet", email=f"olga.{days}@example.org", **fields
        )
        Lead.objects.filter(pk=lead.pk).update(created_at=_ago(days), updated_at=_ago(days))
        return lead


def _old_contact(
    handle: str, days: int, *, open_deal: bool = False, active_days: int = 0
) -> Contact:
    seller = automation.user("acme.de.sales")
    with schema_context(schema(handle)):
        contact = Contact.objects.create(
            last_name="Altkontakt",
            email=f"alt.{days}.{open_deal}.{active_days}@example.org",
            account=automation.account(seller),
            created_at=_ago(days),
            updated_at=_ago(days),
        )
        Activity.objects.create(
            kind="NOTE",
            subject="Old note about Altkontakt",
            contact=contact,
            occurred_at=_ago(active_days or days),
        )
        if open_deal:
            automation.deal(seller, "quote", account=contact.account, primary_contact=contact)
        return contact


@pytest.fixture
def aging(eu, acme_fr):
    """Records of several ages in both EU units and in the Japanese one (another region)."""
    return {
        "de_old_lead": _old_lead("acme.de", 500),
        "de_recent_lead": _old_lead("acme.de", 100),
        "de_old_converted": _old_lead("acme.de", 500, status="CONVERTED"),
        "fr_old_lead": _old_lead("acme.fr", 400),
        "jp_old_lead": _old_lead("acme.jp", 500),
        "de_idle_contact": _old_contact("acme.de", 1000),
        "de_contact_with_deal": _old_contact("acme.de", 1000, open_deal=True),
        "de_contact_recently_active": _old_contact("acme.de", 1000, active_days=30),
    }


def _set(graphql, as_, record_type, months, active=None):
    variables = {"type": record_type, "months": months}
    if active is not None:
        variables["active"] = active
    return payload(graphql(SET, variables, bu="acme.de", as_=as_), "retentionPolicySet")


def test_policies_are_set_changed_and_deleted_per_region(eu, graphql, officer):
    created = _set(graphql, officer, "UNCONVERTED_LEAD", 12)
    assert created == {
        "errors": [],
        "policy": {"recordType": "UNCONVERTED_LEAD", "months": 12, "active": True, "region": "eu"},
    }
    changed = _set(graphql, "acme.admin", "UNCONVERTED_LEAD", 18, active=False)
    assert changed["policy"]["months"] == 18
    assert changed["policy"]["active"] is False
    assert RetentionPolicy.objects.get().region_id == "eu"
    listed = graphql(POLICIES, bu="acme.de", as_="acme.auditor")
    assert listed.data["retentionPolicies"] == [
        {"recordType": "UNCONVERTED_LEAD", "months": 18, "active": False}
    ]
    deleted = payload(
        graphql(DELETE, {"type": "UNCONVERTED_LEAD"}, bu="acme.de", as_=officer),
        "retentionPolicyDelete",
    )
    assert deleted == {"errors": [], "deleted": True}
    assert not RetentionPolicy.objects.exists()


def test_bad_policy_input_and_missing_rights_are_refused(eu, graphql, officer):
    for months in (0, 241, -3):
        refused = _set(graphql, officer, "UNCONVERTED_LEAD", months)
        assert refused["errors"] == [{"field": "months", "code": "INVALID_ARGUMENT"}], months
    unknown = graphql(SET, {"type": "EVERYTHING", "months": 3}, bu="acme.de", as_=officer)
    assert unknown.errors
    missing = payload(
        graphql(DELETE, {"type": "INACTIVE_CONTACT"}, bu="acme.de", as_=officer),
        "retentionPolicyDelete",
    )
    assert missing["errors"] == [{"field": "recordType", "code": "NOT_FOUND"}]
    for username in ("acme.de.manager", "acme.auditor"):
        refused = _set(graphql, username, "UNCONVERTED_LEAD", 12)
        assert refused["errors"] == [{"field": None, "code": "PERMISSION_DENIED"}], username
        run = payload(graphql(RUN, {"dry": True}, bu="acme.de", as_=username), "retentionRunStart")
        assert run["errors"] == [{"field": None, "code": "PERMISSION_DENIED"}], username
    assert graphql(DRY_RUN, bu="acme.de", as_="acme.de.sales").codes == ["PERMISSION_DENIED"]
    assert not RetentionPolicy.objects.exists()
    assert not RetentionRun.objects.exists()


def test_a_dry_run_reports_and_a_real_run_anonymizes_exactly_that_once(aging, graphql, officer):
    _set(graphql, officer, "UNCONVERTED_LEAD", 12)
    _set(graphql, officer, "INACTIVE_CONTACT", 24)

    dry = graphql(DRY_RUN, bu="acme.de", as_=officer)
    assert dry.errors == []
    report = {
        (e["businessUnit"], e["recordType"]): (e["contacts"], e["leads"], e["activities"])
        for e in dry.data["retentionDryRun"]
    }
    assert report == {
        ("acme.de", "UNCONVERTED_LEAD"): (0, 1, 0),
        ("acme.de", "INACTIVE_CONTACT"): (1, 0, 1),
        ("acme.fr", "UNCONVERTED_LEAD"): (0, 1, 0),
        ("acme.fr", "INACTIVE_CONTACT"): (0, 0, 0),
    }
    stored_dry = payload(
        graphql(RUN, {"dry": True}, bu="acme.de", as_=officer), "retentionRunStart"
    )
    assert stored_dry["run"]["dryRun"] is True
    assert {
        (e["businessUnit"], e["recordType"], e["contacts"], e["leads"], e["activities"])
        for e in stored_dry["run"]["report"]
    } == {(bu, kind, *counts) for (bu, kind), counts in report.items()}
    # Nothing changed by either.
    with schema_context(schema("acme.de")):
        assert Lead.objects.get(pk=aging["de_old_lead"].pk).email == "olga.500@example.org"
        assert not Anonymization.objects.exists()

    real = payload(graphql(RUN, {"dry": False}, bu="acme.de", as_=officer), "retentionRunStart")
    assert real["errors"] == []
    assert real["run"]["dryRun"] is False
    assert real["run"]["triggeredBy"] == officer
    with schema_context(schema("acme.de")):
        assert Lead.objects.get(pk=aging["de_old_lead"].pk).email == ""
        assert Lead.objects.get(pk=aging["de_recent_lead"].pk).email == "olga.100@example.org"
        assert Lead.objects.get(pk=aging["de_old_converted"].pk).email == "olga.500@example.org"
        assert Contact.objects.get(pk=aging["de_idle_contact"].pk).last_name == ""
        assert Contact.objects.get(pk=aging["de_contact_with_deal"].pk).last_name == "Altkontakt"
        assert (
            Contact.objects.get(pk=aging["de_contact_recently_active"].pk).last_name == "Altkontakt"
        )
        assert set(Anonymization.objects.values_list("reason", flat=True)) == {"RETENTION"}
        assert Lead.objects.count() == 3  # anonymized, not deleted
    with schema_context(schema("acme.fr")):
        assert Lead.objects.get(pk=aging["fr_old_lead"].pk).email == ""
    with schema_context(schema("acme.jp")):  # another region's unit: not this cell's to touch
        assert Lead.objects.get(pk=aging["jp_old_lead"].pk).email == "olga.500@example.org"
        assert not Anonymization.objects.exists()
    assert ErasureRecord.objects.filter(run__isnull=False).count() == 3

    again = payload(graphql(RUN, {"dry": False}, bu="acme.de", as_=officer), "retentionRunStart")
    assert all(
        (e["contacts"], e["leads"], e["activities"]) == (0, 0, 0) for e in again["run"]["report"]
    )
    assert ErasureRecord.objects.count() == 3
    runs = graphql(RUNS, bu="acme.de", as_="acme.auditor")
    assert [e["node"]["dryRun"] for e in runs.data["retentionRuns"]["edges"]] == [
        False,
        False,
        True,
    ]


def test_an_inactive_policy_does_nothing(aging, graphql, officer):
    _set(graphql, officer, "UNCONVERTED_LEAD", 12, active=False)
    assert graphql(DRY_RUN, bu="acme.de", as_=officer).data["retentionDryRun"] == []


def test_the_command_reports_a_dry_run_and_changes_nothing(aging, graphql, officer):
    _set(graphql, officer, "UNCONVERTED_LEAD", 12)
    out = io.StringIO()
    call_command("retention_run", "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "region eu: 1 group(s)"
    assert (
        "  acme.de UNCONVERTED_LEAD (>12 months): would anonymize 0 contacts, 1 leads, 0 activities"
        in lines
    )
    assert (
        "  acme.fr UNCONVERTED_LEAD (>12 months): would anonymize 0 contacts, 1 leads, 0 activities"
        in lines
    )
    for handle in ("acme.de", "acme.fr"):
        with schema_context(schema(handle)):
            assert not Anonymization.objects.exists()
    assert RetentionRun.objects.get().dry_run is True

    call_command("retention_run", "--group", "acme", stdout=io.StringIO())
    with schema_context(schema("acme.de")):
        assert Lead.objects.get(pk=aging["de_old_lead"].pk).email == ""


# -- the nightly task, in a real worker (the cn cell: acme.hq and rival.main) --------------------


def committed(work: Callable[[], Any]) -> Any:
    """Run `work` on its own connection, committed, so that the worker sees it."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    return outcome.get("value")


@pytest.fixture
def cn_old_leads(world) -> Iterator[dict[str, int]]:
    def create() -> dict[str, int]:
        from crm.tenants.models import Group

        RetentionPolicy.objects.create(
            group=Group.objects.get(code="acme"),
            region_id="cn",
            record_type="UNCONVERTED_LEAD",
            months=6,
        )
        return {
            "acme.hq": _old_lead("acme.hq", 400).pk,
            "rival.main": _old_lead("rival.main", 400).pk,
        }

    created: dict[str, int] = committed(create)
    yield created

    def clean() -> None:
        for handle, pk in created.items():
            with schema_context(schema(handle)):
                Anonymization.objects.filter(record_type="lead", record_id=pk).delete()
                Lead.objects.filter(pk=pk).delete()
        ErasureRecord.objects.all().delete()
        RetentionRun.objects.all().delete()
        RetentionPolicy.objects.all().delete()

    committed(clean)
    # Sequences are not rolled back: put them where they were, so that later tests that count
    # on fresh ids in these schemas see no trace of this one.
    committed(
        lambda: [
            _reset_sequences("bu_acme_hq", ["leads_lead", "personaldata_anonymization"]),
            _reset_sequences("bu_rival_main", ["leads_lead"]),
            _reset_sequences(
                "public",
                ["privacy_retentionpolicy", "privacy_retentionrun", "privacy_erasurerecord"],
            ),
        ]
    )


def _reset_sequences(schema_name: str, tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            qualified = f'"{schema_name}"."{table}"'  # names of this test's own tables
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                f"coalesce((SELECT max(id) FROM {qualified}), 0) + 1, false)",
                [qualified],
            )


@pytest.mark.django_db(transaction=False)
def test_the_nightly_task_applies_the_policies_in_a_real_worker_once(
    cn_old_leads, celery_worker_process
):
    from crm.regions.privacy.tasks import apply_retention_task

    first = apply_retention_task.delay().get(timeout=60)
    (run,) = first["runs"]
    assert run["group"] == "acme"
    assert [(e["business_unit"], e["leads"]) for e in run["report"]] == [("acme.hq", 1)]
    with schema_context(schema("acme.hq")):
        lead = Lead.objects.get(pk=cn_old_leads["acme.hq"])
        assert (lead.first_name, lead.last_name, lead.email) == ("", "", "")
    with schema_context(schema("rival.main")):  # rival has no policy here
        assert Lead.objects.get(pk=cn_old_leads["rival.main"]).email == "olga.400@example.org"

    again = apply_retention_task.delay().get(timeout=60)
    assert [(e["business_unit"], e["leads"]) for e in again["runs"][0]["report"]] == [
        ("acme.hq", 0)
    ]
    assert RetentionRun.objects.filter(dry_run=False).count() == 2
