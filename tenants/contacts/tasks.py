"""Periodic task (Celery beat): remind task owners whose reminder time has passed."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.platform.celery_app import RETRYING, app
from crm.tenants.contacts.services import send_task_reminders
from crm.tenants.provisioning import local_business_units

SEND_TASK_REMINDERS = "crm.tenants.contacts.send_task_reminders"


@app.task(name=SEND_TASK_REMINDERS, **RETRYING)
def send_task_reminders_task() -> dict[str, int]:
    """For each business unit homed in this cell: its due reminders, each sent exactly once
    (safe to run in several workers at once, and again after a crash). A maintenance task: it
    acts for no user."""
    sent: dict[str, int] = {}
    for business_unit in sorted(local_business_units(), key=lambda bu: bu.schema_name):
        with schema_context(business_unit.schema_name):
            sent[business_unit.handle] = send_task_reminders(business_unit)
    return sent
