"""masterDataExport: the worker writes a CSV or XLSX file of what the caller may export."""

from __future__ import annotations

from typing import Any

import graphene
from django.db import transaction

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.transfer.types import FileFormat, TransferJob, TransferKind
from crm.masterdata.transfer.jobs import start_export
from crm.masterdata.transfer.tasks import run_transfer_task
from crm.platform.accounts.actors import actor_of
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class ExportFilter(graphene.InputObjectType):
    country = graphene.String(description="Customers: ISO 3166-1 alpha-2.")
    status = graphene.List(graphene.NonNull(graphene.String), description="Customers, materials.")
    price_lists = graphene.List(graphene.NonNull(graphene.String), description="Price list codes.")


class MasterDataExport(CrmMutation):
    """Columns are the import's, so the file imports back unchanged; cells hidden from you
    are empty. Poll `transferJob` until it has a `fileUrl`."""

    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT,)

    class Arguments:
        kind = TransferKind(required=True)
        format = FileFormat(required=True)
        filter = ExportFilter()

    job = graphene.Field(TransferJob)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        kind: Any,
        format: Any,
        filter: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        options = {
            "country": (filter or {}).get("country"),
            "status": (filter or {}).get("status"),
            "priceLists": (filter or {}).get("price_lists"),
        }
        job = start_export(
            access=access,
            kind=str(getattr(kind, "value", kind)),
            file_format=str(getattr(format, "value", format)),
            options={name: value for name, value in options.items() if value},
        )
        signature = run_transfer_task.s(job_id=job.pk, actor=actor_of(access))
        transaction.on_commit(signature.delay)
        return {"job": job}
