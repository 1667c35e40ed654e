"""A real Celery worker runs the beat's time-based scan once, at the real time."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.tenants.automation.models import Firing, Notification
from crm.tenants.automation.tasks import scan_time_rules_task


def _in_thread(work: Any) -> Any:
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
def overdue_lead(django_db_setup: Any, django_db_blocker: Any) -> Iterator[int]:
    """A committed lead of acme.hq (a BU of this cell) created 25 hours ago, never contacted."""
    from crm.tenants.leads.models import Lead

    with django_db_blocker.unblock():

        def create() -> int:
            with schema_context("bu_acme_hq"):
                created = timezone.now() - datetime.timedelta(hours=25)
                return Lead.objects.create(company_name="Worker GmbH", created_at=created).pk

        pk = _in_thread(create)
        yield pk

        def clean() -> None:
            with schema_context("bu_acme_hq"):
                Notification.objects.filter(record_type="lead", record_id=pk).delete()
                Firing.objects.filter(record_type="lead", record_id=pk).delete()
                Lead.objects.filter(pk=pk).delete()

        _in_thread(clean)


def test_the_worker_scans_the_local_bus_and_fires_once(overdue_lead, celery_worker_process):
    from crm.tenants.leads.models import Lead

    first = scan_time_rules_task.delay().get(timeout=60)
    assert first["acme.hq"]["fired"].get("lead-not-contacted-24h", 0) >= 1
    assert "acme.de" not in first  # homed in another cell: scanned there
    second = scan_time_rules_task.delay().get(timeout=60)
    assert "lead-not-contacted-24h" not in second["acme.hq"]["fired"]

    def check() -> tuple[bool, int, int]:
        with schema_context("bu_acme_hq"):
            lead = Lead.objects.get(pk=overdue_lead)
            firings = Firing.objects.filter(record_type="lead", record_id=overdue_lead).count()
            notices = Notification.objects.filter(record_type="lead", record_id=overdue_lead)
            return lead.overdue, firings, notices.count()

    overdue, firings, notices = _in_thread(check)
    assert overdue is True
    assert firings == 1
    assert notices >= 1  # no team in acme.hq: its BU managers are told
