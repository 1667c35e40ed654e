"""Tenant-aware task: redirect one business unit's customer references after a merge."""

from __future__ import annotations

from typing import Any

from crm.masterdata.governance.merges import redirect_in_business_unit
from crm.masterdata.governance.models import CustomerMerge
from crm.platform.celery_app import RETRYING, app
from crm.tenants.db import tenant_connection
from crm.tenants.models import BusinessUnit

REDIRECT = "crm.masterdata.redirect_customer_references"


@app.task(name=REDIRECT, **RETRYING)
def redirect_customer_references(*, merge_id: int) -> dict[str, Any]:
    """Idempotent: a second run finds nothing left to move and only confirms the BU is done."""
    business_unit = tenant_connection().tenant
    if not isinstance(business_unit, BusinessUnit):
        raise RuntimeError("redirect_customer_references must be sent from a BU's schema")
    merge = CustomerMerge.objects.get(pk=merge_id)
    moved = redirect_in_business_unit(merge, business_unit)
    return {"merge": merge_id, "business_unit": business_unit.handle, "moved": moved}
