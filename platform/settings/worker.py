"""Celery with Redis; tasks carry their tenant schema in the message headers."""

from celery.schedules import crontab

from crm.infra import endpoints
from crm.platform.settings.base import REGION
from crm.platform.settings.env import env

_default_broker_db = endpoints.CELLS.get(REGION, (0, 0))[1]
CELERY_BROKER_URL = env.str("REDIS_URL", default=endpoints.redis_url(_default_broker_db))
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_DEFAULT_QUEUE = f"crm-{REGION}"

# Every morning each cell fetches the rates of the groups homed in it (see masterdata/fx_sources).
CELERY_BEAT_SCHEDULE = {
    "fetch-fx-rates": {
        "task": "crm.masterdata.fetch_fx_rates",
        "schedule": crontab(hour=6, minute=0),
    },
    # Task reminders whose time has passed (each sent once; see tenants/contacts/tasks.py).
    "send-task-reminders": {
        "task": "crm.tenants.contacts.send_task_reminders",
        "schedule": 60.0,
    },
    # Master-data replication to the other cells (also kicked after each commit; see
    # crm.replication.tasks): catches up cells that were down once their back-off expires.
    "replication-push": {
        "task": "crm.replication.push",
        "schedule": env.float("REPLICATION_PUSH_INTERVAL", default=3.0),
    },
    # Retention policies of the groups' business units in this cell, every night (idempotent);
    # also deletes access exports past their download period (see crm.regions.privacy).
    "privacy-retention": {
        "task": "crm.regions.privacy.apply_retention",
        "schedule": crontab(hour=2, minute=30),
    },
    # Business units moving to another region whose scheduled time has come (regions/moves).
    "region-moves": {
        "task": "crm.regions.run_due_moves",
        "schedule": 60.0,
    },
    # Webhook deliveries whose message was lost (worker or broker down at commit), every minute.
    "automation-webhook-sweep": {
        "task": "crm.tenants.automation.sweep_webhooks",
        "schedule": 60.0,
    },
    # Time-based automation rules (e.g. a new lead not contacted for 24 hours), every 5 minutes.
    "automation-time-rules": {
        "task": "crm.tenants.automation.scan_time_rules",
        "schedule": crontab(minute="*/5"),
    },
    # Quotes past their validity date become EXPIRED (tenants/quotes/tasks.py), hourly: each BU
    # on its own local date.
    "expire-quotes": {
        "task": "crm.tenants.quotes.expire_quotes",
        "schedule": crontab(minute=5),
    },
}
FX_RATE_SOURCE = env.str("FX_RATE_SOURCE", default="")
FX_RATE_SOURCE_OPTIONS = env.json("FX_RATE_SOURCE_OPTIONS", default={})

# Webhooks (automation rules, integration events): attempts before a delivery is FAILED, the
# back-off's first step and cap in seconds (doubling, with jitter), and how long past its due
# time a PENDING delivery waits before the sweep queues it again.
AUTOMATION_WEBHOOK_ATTEMPTS = env.int("AUTOMATION_WEBHOOK_ATTEMPTS", default=9)
AUTOMATION_WEBHOOK_BACKOFF = env.float("AUTOMATION_WEBHOOK_BACKOFF", default=30.0)
AUTOMATION_WEBHOOK_BACKOFF_MAX = env.float("AUTOMATION_WEBHOOK_BACKOFF_MAX", default=3600.0)
AUTOMATION_WEBHOOK_STUCK_AFTER = env.float("AUTOMATION_WEBHOOK_STUCK_AFTER", default=300.0)
