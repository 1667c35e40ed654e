"""Tenant-aware task: convert the deal amounts of the business unit whose schema the task
carries again, after the group's exchange rates changed (send it from the BU's schema, like
the price book's refresh)."""

from __future__ import annotations

import datetime
from typing import Any

from crm.platform.celery_app import RETRYING, app
from crm.tenants.db import tenant_connection
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.services import refresh_conversions


@app.task(name="crm.tenants.opportunities.refresh_conversions", **RETRYING)
def refresh_conversions_task(*, since: str | None = None) -> dict[str, Any]:
    business_unit = tenant_connection().tenant
    if not isinstance(business_unit, BusinessUnit):
        raise RuntimeError("refresh_conversions_task must be sent from a business unit's schema")
    day = datetime.date.fromisoformat(since) if since else None
    changed = refresh_conversions(business_unit, since=day)
    return {"business_unit": business_unit.handle, "changed": changed}
