"""Tenant-aware task: refresh the price book of the business unit whose schema the task carries."""

from __future__ import annotations

from typing import Any

from crm.platform.celery_app import RETRYING, app
from crm.tenants.db import tenant_connection
from crm.tenants.models import BusinessUnit
from crm.tenants.pricebook.services import refresh_price_book


@app.task(name="crm.tenants.pricebook.refresh", **RETRYING)
def refresh_price_book_task() -> dict[str, Any]:
    business_unit = tenant_connection().tenant
    if not isinstance(business_unit, BusinessUnit):
        raise RuntimeError("refresh_price_book_task must be sent from a business unit's schema")
    result = refresh_price_book(business_unit=business_unit, day=business_unit.today())
    return {
        "business_unit": business_unit.handle,
        "day": result.day.isoformat(),
        "priced": result.priced,
        "unpriced": result.unpriced,
    }
