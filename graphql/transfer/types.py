"""GraphQL types of import and export jobs."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import permissions_field
from crm.masterdata.transfer import models
from crm.masterdata.transfer.access import TRANSFER_JOB

TransferKind = graphene.Enum.from_enum(models.Kind, name="TransferKind")
TransferDirection = graphene.Enum.from_enum(models.Direction, name="TransferDirection")
FileFormat = graphene.Enum.from_enum(models.FileFormat, name="FileFormat")
JobStatus = graphene.Enum.from_enum(models.JobStatus, name="TransferJobStatus")
ROW_ERRORS_LIMIT = 100


class RowError(graphene.ObjectType):
    line = graphene.Int(required=True, description="Line in the file; the header is line 1.")
    column = graphene.String(required=True)
    code = graphene.String(required=True, description="An `ErrorCode`.")
    message = graphene.String(required=True)


class JobError(graphene.ObjectType):
    code = graphene.String(required=True, description="An `ErrorCode`.")
    message = graphene.String(required=True)


def row_error(record: models.RowError) -> RowError:
    return RowError(line=record.row, column=record.column, code=record.code, message=record.message)


class TransferJob(graphene.ObjectType):
    """An import or export of master data, run by the worker as the one who started it."""

    class Meta:
        interfaces = (relay.Node,)

    kind = graphene.Field(TransferKind, required=True)
    direction = graphene.Field(TransferDirection, required=True)
    format = graphene.Field(FileFormat, required=True)
    file_name = graphene.String(required=True)
    status = graphene.Field(JobStatus, required=True)
    total_rows = graphene.Int(description="Known once the worker has read the file.")
    processed_rows = graphene.Int(required=True)
    created = graphene.Int(required=True)
    updated = graphene.Int(required=True)
    unchanged = graphene.Int(required=True, description="Rows that matched the record exactly.")
    failed = graphene.Int(required=True, description="Rows refused; see `rowErrors`.")
    error = graphene.Field(JobError, description="Why the whole job failed, if it did.")
    row_errors = graphene.List(
        graphene.NonNull(RowError),
        required=True,
        first=graphene.Int(default_value=ROW_ERRORS_LIMIT),
        description=f"The first refused rows (at most {ROW_ERRORS_LIMIT}); the full list is "
        "the error report.",
    )
    error_report_url = graphene.String(
        description="GET it (same headers as this API) for every refused row with its reason "
        "and its cells; `.xlsx` instead of `.csv` for a workbook."
    )
    file_url = graphene.String(description="GET it for the exported file, once finished.")
    created_at = graphene.DateTime(required=True)
    started_at = graphene.DateTime()
    finished_at = graphene.DateTime()
    permissions = permissions_field(TRANSFER_JOB)

    @staticmethod
    def resolve_kind(root: models.TransferJob, _info: graphene.ResolveInfo) -> Any:
        return models.Kind(root.kind)

    @staticmethod
    def resolve_direction(root: models.TransferJob, _info: graphene.ResolveInfo) -> Any:
        return models.Direction(root.direction)

    @staticmethod
    def resolve_format(root: models.TransferJob, _info: graphene.ResolveInfo) -> Any:
        return models.FileFormat(root.format)

    @staticmethod
    def resolve_status(root: models.TransferJob, _info: graphene.ResolveInfo) -> Any:
        return models.JobStatus(root.status)

    @staticmethod
    def resolve_error(root: models.TransferJob, _info: graphene.ResolveInfo) -> Any:
        if not root.error:
            return None
        return JobError(code=root.error.get("code", ""), message=root.error.get("message", ""))

    @staticmethod
    def resolve_row_errors(
        root: models.TransferJob, _info: graphene.ResolveInfo, first: int = ROW_ERRORS_LIMIT
    ) -> list[RowError]:
        count = max(0, min(first, ROW_ERRORS_LIMIT))
        return [row_error(record) for record in root.row_errors.order_by("row")[:count]]

    @staticmethod
    def resolve_error_report_url(root: models.TransferJob, _info: graphene.ResolveInfo) -> Any:
        if root.direction != models.Direction.IMPORT:
            return None
        return f"/files/transfer-jobs/{root.pk}/errors.csv"

    @staticmethod
    def resolve_file_url(root: models.TransferJob, _info: graphene.ResolveInfo) -> Any:
        if root.direction != models.Direction.EXPORT or root.status != models.JobStatus.SUCCEEDED:
            return None
        return f"/files/transfer-jobs/{root.pk}/{root.file_name}"


class TransferJobConnection(CountedConnection):
    class Meta:
        node = TransferJob
