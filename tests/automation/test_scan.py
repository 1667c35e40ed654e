"""Time-based rules: the scan with a controlled clock, exactly once, in SQL, and concurrently."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from crm.tenants.automation.models import Firing, Notification
from crm.tenants.automation.scan import due_records, scan_business_unit
from crm.tests.automation.helpers import T0, account, bu, lead, rule, sales_team, user

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)


def fired(scans: list[Any], code: str) -> int:
    return sum(scan.fired for scan in scans if scan.rule == code)


def test_a_new_lead_not_contacted_for_24_hours_is_escalated_once(world):
    """The default rule: overdue and the owner's manager told, at 24 h, never again."""
    de = bu()
    with schema_context(de.schema_name):
        sales_team()
        record = lead(owner=user("acme.de.sales"), created_at=T0, updated_at=T0)
        contacted = lead(owner=user("acme.de.sales"), created_at=T0, first_contacted_at=T0 + H)

        assert fired(scan_business_unit(de, now=T0 + 23 * H), "lead-not-contacted-24h") == 0
        record.refresh_from_db()
        assert record.overdue is False
        assert not Notification.objects.exists()

        assert fired(scan_business_unit(de, now=T0 + 25 * H), "lead-not-contacted-24h") == 1
        record.refresh_from_db()
        assert record.overdue is True
        notice = Notification.objects.get()
        assert notice.recipient == user("acme.de.manager")
        assert notice.record_id == record.pk
        assert "Überfälliger Lead" in notice.subject  # the manager reads German
        firing = Firing.objects.get(rule__default_code="lead-not-contacted-24h")
        assert firing.record_id == record.pk
        assert firing.occurrence == "elapsed:2026-03-02T09:00:00.000000Z"
        assert [a["type"] for a in firing.outcome["actions"]] == ["SET_FIELD", "NOTIFY"]

        scans = scan_business_unit(de, now=T0 + 26 * H)
        assert fired(scans, "lead-not-contacted-24h") == 0
        assert sum(scan.candidates for scan in scans) == 0  # excluded in SQL, not in Python
        assert Notification.objects.count() == 1
        contacted.refresh_from_db()
        assert contacted.overdue is False


def test_without_a_manager_the_bu_managers_are_told(world):
    de = bu()
    with schema_context(de.schema_name):
        lead(owner=user("acme.de.sales"), created_at=T0)
        scan_business_unit(de, now=T0 + 25 * H)
        assert list(Notification.objects.values_list("recipient__username", flat=True)) == [
            "acme.de.manager"
        ]


def test_an_account_without_follow_up_gets_a_task_again_after_each_new_follow_up(world):
    from crm.tenants.contacts.models import Task

    de = bu()
    sales = user("acme.de.sales")
    with schema_context(de.schema_name):
        followed = account(sales, created_at=T0 - 30 * 24 * H, last_follow_up_at=T0)
        never = account(sales, created_at=T0)
        account(None, created_at=T0)  # no owner: the condition excludes it
        week = 7 * 24 * H
        assert fired(scan_business_unit(de, now=T0 + week - H), "account-no-follow-up-7d") == 0
        assert fired(scan_business_unit(de, now=T0 + week + H), "account-no-follow-up-7d") == 2
        assert fired(scan_business_unit(de, now=T0 + week + 2 * H), "account-no-follow-up-7d") == 0
        tasks = Task.objects.filter(owner=sales).order_by("account_id")
        assert [task.account_id for task in tasks] == sorted([followed.pk, never.pk])
        assert tasks[0].due_at == T0 + week + H + 48 * H
        # A follow-up a day later: a week after it, a new task.
        followed.last_follow_up_at = T0 + 24 * H
        followed.save()
        assert fired(scan_business_unit(de, now=T0 + week + 23 * H), "account-no-follow-up-7d") == 0
        assert fired(scan_business_unit(de, now=T0 + week + 25 * H), "account-no-follow-up-7d") == 1
        assert Task.objects.filter(account=followed).count() == 2


def test_conditions_are_translated_to_sql(world):
    de = bu()
    with schema_context(de.schema_name):
        made = rule(
            record_type="lead",
            trigger="TIME_ELAPSED",
            parameters={"since": "created_at", "hours": 1},
            conditions=[
                {"field": "status", "op": "in", "value": ["new", "CONTACTED"]},
                {"field": "tags", "op": "contains", "value": "fair"},
                {"field": "company_name", "op": "contains", "value": "werk"},
                {"field": "industry", "op": "neq", "value": "SPAM"},
                {"field": "custom.size", "op": "gte", "value": 10},
            ],
            actions=[{"type": "SET_FIELD", "field": "overdue", "value": True}],
        )
        yes = lead(created_at=T0, tags=["fair"], company_name="Stahlwerk", custom={"size": 12})
        small = lead(created_at=T0, tags=["fair"], company_name="Stahlwerk", custom={"size": 2})
        lead(created_at=T0, tags=["web"], company_name="Stahlwerk")
        lead(created_at=T0, tags=["fair"], company_name="Stahlwerk", industry="spam")
        lead(created_at=T0, tags=["fair"], company_name="Bäckerei")
        due = list(due_records(made, T0 + 2 * H).values_list("pk", flat=True))
        assert sorted(due) == sorted([yes.pk, small.pk])  # custom fields: decided in Python
        scans = scan_business_unit(de, now=T0 + 2 * H)
        assert fired(scans, made.code) == 1
        assert list(Firing.objects.filter(rule=made).values_list("record_id", flat=True)) == [
            yes.pk
        ]


def test_a_rule_of_another_bu_is_not_scanned(world):
    de, jp = bu(), bu("jp")
    with schema_context(de.schema_name):
        rule(
            record_type="lead",
            trigger="TIME_ELAPSED",
            parameters={"since": "created_at", "hours": 1},
            actions=[{"type": "SET_FIELD", "field": "tags", "value": "de-rule"}],
        )
    with schema_context(jp.schema_name):
        record = lead(created_at=T0)
        scan_business_unit(jp, now=T0 + 48 * H)
        record.refresh_from_db()
        assert "de-rule" not in record.tags


# -- two scans at once, from two connections ---------------------------------------------------


def _in_thread(work: Any) -> Any:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def committed_leads(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        de = bu()

        def create() -> list[int]:
            with schema_context(de.schema_name):
                return [lead(created_at=T0, company_name=f"Parallel {n}").pk for n in range(40)]

        ids = _in_thread(create)
        yield de, ids

        def clean() -> None:
            from crm.tenants.leads.models import Lead

            with schema_context(de.schema_name):
                Notification.objects.filter(record_type="lead", record_id__in=ids).delete()
                Firing.objects.filter(record_type="lead", record_id__in=ids).delete()
                Lead.objects.filter(pk__in=ids).delete()

        _in_thread(clean)


def test_two_scans_at_once_fire_each_record_once(committed_leads):
    de, ids = committed_leads
    start = threading.Barrier(2)

    def scan() -> int:
        with schema_context(de.schema_name):
            start.wait()
            scans = scan_business_unit(de, now=T0 + 25 * H, batch=7)
            return fired(scans, "lead-not-contacted-24h")

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: (results.append(scan()), connection.close()))
        for _n in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(results) == len(ids)  # together, each record once

    def count() -> int:
        with schema_context(de.schema_name):
            return Firing.objects.filter(record_type="lead", record_id__in=ids).count()

    assert _in_thread(count) == len(ids)
