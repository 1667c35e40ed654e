"""Master-data tasks: importing exchange rates, then re-pricing the business units of this cell."""

from __future__ import annotations

import datetime
from typing import Any

import pghistory
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.masterdata.access import EXCHANGE_RATE
from crm.masterdata.fx import import_rates_csv
from crm.masterdata.fx_sources import configured_source
from crm.platform.accounts.actors import Actor, access_for
from crm.platform.celery_app import RETRYING, app
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import history_context
from crm.platform.permissions.vocabulary import Action
from crm.tenants.models import BusinessUnit, Group
from crm.tenants.opportunities.tasks import refresh_conversions_task
from crm.tenants.pricebook.tasks import refresh_price_book_task

IMPORT_FX_RATES = "crm.masterdata.import_fx_rates"
FETCH_FX_RATES = "crm.masterdata.fetch_fx_rates"


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
        why = history_context(access, f"rates from {source}", "exchangeRatesImport")
        with pghistory.context(**why):
            count = import_rates_csv(group=group, text=csv_text, source=source)
    except CrmError as error:  # a typed refusal: nothing was written
        return _refusal(error)
    finally:
        access.flush()
    return {"rates": count, "repriced": reprice_after_commit(group)}


def reprice_after_commit(group: Group, day: datetime.date | None = None) -> list[str]:
    """Once the rates are committed, refresh the price book of each of the group's BUs here,
    and convert their deal amounts again (those a rate of `day` can reach; all without it)."""
    local = list(
        BusinessUnit.objects.filter(group=group, region_id=settings.REGION).order_by("code")
    )

    def reprice() -> None:
        for business_unit in local:
            with schema_context(business_unit.schema_name):
                refresh_price_book_task.delay()
                refresh_conversions_task.delay(since=day.isoformat() if day else None)

    transaction.on_commit(reprice)
    return [bu.handle for bu in local]


@app.task(name=FETCH_FX_RATES, **RETRYING)
def fetch_fx_rates_task(*, day: str | None = None) -> dict[str, Any]:
    """For each group homed in this cell: the configured source's rates for the day (default:
    today), imported all or nothing. A maintenance task: it acts for no user."""
    source = configured_source()
    if source is None:
        return {"skipped": "no FX_RATE_SOURCE configured"}
    on = datetime.date.fromisoformat(day) if day else timezone.now().date()
    outcome: dict[str, Any] = {}
    for group in Group.objects.filter(home_region_id=settings.REGION).order_by("code"):
        text = source.fetch(group, on)
        if text is None:
            outcome[group.code] = {"skipped": f"no rates for {on.isoformat()}"}
            continue
        try:
            why = {"operation": "fetchFxRates", "reason": f"{source.name} {on.isoformat()}"}
            with transaction.atomic(), pghistory.context(**why):
                count = import_rates_csv(group=group, text=text, source=source.name)
                outcome[group.code] = {
                    "rates": count,
                    "repriced": reprice_after_commit(group, on),
                }
        except CrmError as error:
            outcome[group.code] = _refusal(error)
    return outcome
