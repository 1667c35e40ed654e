"""A real worker sends the due task reminders of each local business unit, exactly once."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.tenants.automation.models import Notification
from crm.tenants.contacts.models import Task
from crm.tenants.contacts.tasks import send_task_reminders_task
from crm.tests.relationships.helpers import bu_task


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
    thread.join(30)
    return outcome.get("value")


@pytest.fixture
def due_task(world: Any) -> Iterator[int]:
    past = timezone.now() - datetime.timedelta(minutes=1)

    def create() -> int:
        task = bu_task("acme.hq", owner="acme.director", title="Worker reminder", remind_at=past)
        return task.pk

    task_id: int = committed(create)
    yield task_id

    def clean() -> None:
        with schema_context("bu_acme_hq"):
            Notification.objects.filter(record_type="task", record_id=task_id).delete()
            Task.objects.filter(pk=task_id).delete()

    committed(clean)


@pytest.mark.django_db
def test_the_worker_reminds_each_due_task_once(due_task, celery_worker_process):
    first = send_task_reminders_task.delay().get(timeout=60)
    assert first["acme.hq"] == 1
    assert first["rival.main"] == 0
    again = send_task_reminders_task.delay().get(timeout=60)
    assert again["acme.hq"] == 0
    with schema_context("bu_acme_hq"):
        task = Task.objects.get(pk=due_task)
        notes = Notification.objects.filter(record_type="task", record_id=due_task)
        assert task.reminded_at is not None
        assert [n.recipient.username for n in notes] == ["acme.director"]
