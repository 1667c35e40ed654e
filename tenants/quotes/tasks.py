"""Beat task: quotes past their validity become EXPIRED, in every BU homed in this cell (each on
its own local date). Idempotent: a quote already expired is not touched again."""

from __future__ import annotations

import logging

from django_tenants.utils import schema_context

from crm.platform.celery_app import app

logger = logging.getLogger(__name__)
EXPIRE_QUOTES = "crm.tenants.quotes.expire_quotes"


@app.task(name=EXPIRE_QUOTES)
def expire_quotes_task() -> dict[str, int | str]:
    from crm.tenants.provisioning import local_business_units
    from crm.tenants.quotes.services import expire_quotes

    outcome: dict[str, int | str] = {}
    for business_unit in sorted(local_business_units(), key=lambda bu: bu.schema_name):
        try:
            with schema_context(business_unit.schema_name):
                outcome[business_unit.handle] = expire_quotes(business_unit.today())
        except Exception as error:
            logger.exception("expiring the quotes of %s failed", business_unit.handle)
            outcome[business_unit.handle] = type(error).__name__
    return outcome
