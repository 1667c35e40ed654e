"""Settings for the test suite: the `cn` cell, its own test database and broker database."""

import os

from crm.infra import endpoints

os.environ["REGION"] = "cn"
os.environ.setdefault("REDIS_URL", endpoints.redis_url(9))
os.environ.setdefault("TEST_DATABASE_NAME", "test_crm")

from crm.platform.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# The one-database test world has no other cells: replication pushes nowhere (the world's regions
# name unresolvable *.cells.example endpoints), never to demo cells running on this machine.
CELL_ENDPOINTS: dict[str, str] = {}
REPLICATION_ENABLED = False  # (the test worker does not push; the tests call what they test)
# Webhooks retry on a short schedule (the same code; tests and the test worker need not wait).
AUTOMATION_WEBHOOK_ATTEMPTS = 4
AUTOMATION_WEBHOOK_BACKOFF = 0.4
