"""Master-data tasks: importing exchange rates, then re-pricing the business units of this cell."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django_tenants.utils import schema_context

from crm.masterdata.access import EXCHANGE_RATE
from crm.masterdata.fx import import_rates_csv
from crm.platform.accounts.actors import Actor, access_for
from crm.platform.celery_app import RETRYING, app
from crm.platform.core.errors import CrmError
from crm.platform.permissions.vocabulary import Action
from crm.tenants.models import BusinessUnit
from crm.tenants.pricebook.tasks import refresh_price_book_task

IMPORT_FX_RATES = "crm.masterdata.import_fx_rates"


def _refusal(error: CrmError) -> dict[str, Any]:
    return {"error": error.as_extensions() | {"message": error.message}}


@app.task(name=IMPORT_FX_RATES, **RETRYING)
def import_fx_rates_task(*, actor: Actor, csv_text: str, source: str) -> dict[str, Any]:
    """Runs in the public schema, for `actor`, who must be allowed to create exchange rates now.

    Idempotent: a rate for the same day and type is replaced. A refusal writes nothing.
    """
    try:
        access = access_for(actor, task=IMPORT_FX_RATES)
    except CrmError as error:
        return _refusal(error)
    try:
        access.require(Action.CREATE, EXCHANGE_RATE)
        group = access.business_unit.group
        count = import_rates_csv(group=group, text=csv_text, source=source)
    except CrmError as error:  # a typed refusal: nothing was written
        return _refusal(error)
    finally:
        access.flush()
    local = list(
        BusinessUnit.objects.filter(group=group, region_id=settings.REGION).order_by("code")
    )

    def reprice() -> None:
        for business_unit in local:
            with schema_context(business_unit.schema_name):
                refresh_price_book_task.delay()

    transaction.on_commit(reprice)
    return {"rates": count, "repriced": [bu.handle for bu in local]}
