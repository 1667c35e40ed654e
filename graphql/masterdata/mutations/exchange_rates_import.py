"""exchangeRatesImport: queue a CSV of rates for the worker, which imports it as the caller."""

from __future__ import annotations

from typing import Any

import graphene
from django.db import transaction

from crm.graphql.core.mutations import CrmMutation
from crm.masterdata.access import EXCHANGE_RATE
from crm.masterdata.tasks import import_fx_rates_task
from crm.platform.accounts.actors import actor_of
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action

MAX_CSV_BYTES = 1_000_000


class ExchangeRatesImport(CrmMutation):
    """Checked now and again in the worker, which acts for the caller with their roles then."""

    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT,)

    class Arguments:
        csv = graphene.String(required=True, description="Header: date,base,quote,rate[,type]")
        source = graphene.String(default_value="api")

    task_id = graphene.String(description="The Celery task importing the file.")

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, csv: str, source: str
    ) -> dict[str, Any]:
        access.require(Action.CREATE, EXCHANGE_RATE)
        if len(csv.encode()) > MAX_CSV_BYTES:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="csv", reason=f"at most {MAX_CSV_BYTES} bytes"
            )
        signature = import_fx_rates_task.s(actor=actor_of(access), csv_text=csv, source=source[:40])
        task_id = signature.freeze().id
        transaction.on_commit(signature.delay)
        return {"task_id": task_id}
