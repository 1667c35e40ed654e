"""masterDataImport: upload a CSV or XLSX file; the worker imports it as the caller."""

from __future__ import annotations

from typing import Any

import graphene
from django.db import transaction

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.uploads import Upload
from crm.graphql.transfer.types import TransferJob, TransferKind
from crm.masterdata.transfer.jobs import start_import
from crm.masterdata.transfer.tables import MAX_FILE_BYTES
from crm.masterdata.transfer.tasks import run_transfer_task
from crm.platform.accounts.actors import actor_of
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access


class MasterDataImport(CrmMutation):
    """The header is checked now (unknown or missing columns refuse the file); the rows are
    checked by the worker, each on its own: poll `transferJob` for progress and refused rows."""

    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.INVALID_FILE)

    class Arguments:
        kind = TransferKind(required=True)
        file = Upload(required=True, description="CSV (UTF-8) or XLSX, first row the columns.")

    job = graphene.Field(TransferJob)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, kind: Any, file: Any
    ) -> dict[str, Any]:
        if not hasattr(file, "read"):
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="file", reason="a file part")
        if file.size > MAX_FILE_BYTES:
            raise CrmError(
                ErrorCode.INVALID_FILE,
                field="file",
                reason=f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
            )
        job = start_import(
            access=access,
            kind=str(getattr(kind, "value", kind)),
            file_name=str(file.name or "upload"),
            content=file.read(),
        )
        signature = run_transfer_task.s(job_id=job.pk, actor=actor_of(access))
        transaction.on_commit(signature.delay)
        return {"job": job}
