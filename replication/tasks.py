"""The push task of the home cell, run by beat every few seconds and kicked after each commit.

The kick: the capture trigger notifies channel `crm_replication`, and PostgreSQL delivers a
notification only when the writing transaction commits, whatever wrote (API, import, shell).
A Celery worker listens on that channel in a background thread and sends one push task per
burst of notifications; beat's schedule catches anything else (a worker restart, a back-off
that has expired).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from celery.signals import worker_ready
from django.conf import settings
from django.db import connection

from crm.platform.celery_app import app
from crm.replication.triggers import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

PUSH = "crm.replication.push"
# A burst of commits within this many seconds gives one kick.
KICK_WINDOW = 0.05


@app.task(name=PUSH, ignore_result=True)
def push_task() -> dict[str, Any]:
    """One round of replication from this cell (public schema; idempotent)."""
    from crm.replication.transport import push

    if not settings.REPLICATION_ENABLED:
        return {"skipped": "REPLICATION_ENABLED is off"}
    results = push()
    return {
        "sent": [
            {"group": r.group_id, "target": r.target, "acknowledged": r.acknowledged}
            for r in results
            if r.batches
        ],
        "failed": [{"target": r.target, "error": r.error} for r in results if r.error],
    }


def _listen(stop: threading.Event) -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("server_side_binding", None)
    while not stop.is_set():
        try:
            with psycopg.connect(**params, autocommit=True) as listener:
                listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
                push_task.apply_async()  # whatever committed while nobody listened
                while not stop.is_set():
                    got = False
                    for _notify in listener.notifies(timeout=1.0, stop_after=1):
                        got = True
                    if not got:
                        continue
                    time.sleep(KICK_WINDOW)
                    for _notify in listener.notifies(timeout=0.001):
                        pass  # the rest of the burst
                    push_task.apply_async()
        except Exception:
            log.exception("replication kick listener lost its connection")
            stop.wait(2.0)


_stop = threading.Event()


@worker_ready.connect
def start_kick_listener(**_kwargs: Any) -> None:
    if not settings.REPLICATION_ENABLED:
        return
    thread = threading.Thread(target=_listen, args=(_stop,), name="replication-kick", daemon=True)
    thread.start()
