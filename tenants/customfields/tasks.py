"""Range indexes of custom fields, built and dropped by the worker (outside any transaction, so
CREATE INDEX CONCURRENTLY never blocks the table's writers): see indexes.py."""

from __future__ import annotations

from crm.platform.celery_app import RETRYING, app
from crm.tenants.customfields.indexes import sync_index
from crm.tenants.db import tenant_connection

SYNC_INDEX = "crm.tenants.customfields.sync_index"


@app.task(name=SYNC_INDEX, **RETRYING)
def sync_index_task(record_type: str, code: str) -> dict[str, object]:
    """Reconcile one field's index with its committed definition, in the schema the message
    carries (the BU's)."""
    schema = tenant_connection().schema_name
    if schema in ("", "public"):
        raise RuntimeError("sync_index_task must be sent from a business unit's schema")
    return {
        "schema": schema,
        "field": f"{record_type}.{code}",
        "indexed": sync_index(record_type, code),
    }
