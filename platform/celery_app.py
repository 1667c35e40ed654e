"""The Celery app of a cell: tenant-aware (the schema travels in the message headers)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.platform.settings")

app = CeleryApp("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every task retries a lost connection with exponential back-off and jitter.
RETRYING: dict[str, object] = {
    "autoretry_for": (ConnectionError,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
}
