"""Master-data tasks: importing exchange rates, then re-pricing the business units of this cell."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django_tenants.utils import schema_context

from crm.masterdata.fx import import_rates_csv
from crm.platform.celery_app import RETRYING, app
from crm.platform.core.errors import CrmError
from crm.tenants.models import BusinessUnit, Group
from crm.tenants.pricebook.tasks import refresh_price_book_task


@app.task(name="crm.masterdata.import_fx_rates", **RETRYING)
def import_fx_rates_task(*, group_id: int, csv_text: str, source: str) -> dict[str, Any]:
    """Runs in the public schema. Idempotent: a rate for the same day and type is replaced."""
    group = Group.objects.get(pk=group_id)
    try:
        count = import_rates_csv(group=group, text=csv_text, source=source)
    except CrmError as error:  # a typed refusal: nothing was written
        return {"error": error.as_extensions() | {"message": error.message}}
    local = list(
        BusinessUnit.objects.filter(group=group, region_id=settings.REGION).order_by("code")
    )

    def reprice() -> None:
        for business_unit in local:
            with schema_context(business_unit.schema_name):
                refresh_price_book_task.delay()

    transaction.on_commit(reprice)
    return {"rates": count, "repriced": [bu.handle for bu in local]}
