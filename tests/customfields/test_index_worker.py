"""A real worker builds a filterable field's range index with CREATE INDEX CONCURRENTLY after the
definition is committed, and drops it when the field is deactivated."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from crm.tests.customfields.helpers import DE, access_for


def committed(work: Callable[[], Any]) -> Any:
    """Run `work` on its own connection (autocommit), so the worker sees what it wrote."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except Exception as error:  # reported to the test below
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def indexes() -> dict[str, bool]:
    from crm.tenants.customfields.indexes import existing

    with schema_context(DE):
        return existing("lead")


def wait_for(expected: dict[str, bool]) -> None:
    deadline = time.monotonic() + 60
    while indexes() != expected:
        assert time.monotonic() < deadline, f"the worker did not sync: {indexes()}"
        time.sleep(0.2)


@pytest.fixture
def cleanup(world: Any) -> Any:
    yield

    def clean() -> None:
        from crm.tenants.customfields.indexes import sync_index
        from crm.tenants.customfields.models import FieldDefinition

        with schema_context(DE):
            FieldDefinition.objects.filter(code="wk_seats").delete()
            sync_index("lead", "wk_seats")

    committed(clean)
    assert indexes() == {}


@pytest.mark.django_db
def test_the_worker_builds_and_drops_the_index_concurrently(
    world: Any, cleanup: Any, celery_worker_process: Any
) -> None:
    from crm.tenants.customfields import configuration

    def define() -> None:
        with schema_context(DE):
            configuration.define(
                access=access_for("acme.de.manager"),
                record_type="lead",
                code="wk_seats",
                kind="NUMBER",
                labels={"en": "Seats"},
                filterable=True,
            )

    committed(define)
    wait_for({"cf_lead_wk_seats": True})

    def deactivate() -> None:
        with schema_context(DE):
            configuration.set_active(
                access=access_for("acme.de.manager"),
                record_type="lead",
                code="wk_seats",
                active=False,
            )

    committed(deactivate)
    wait_for({})
