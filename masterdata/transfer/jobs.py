"""Import and export jobs: started by a caller, run by a worker (or a command) as that caller.

An import reads its file in chunks of CHUNK rows. Each chunk is one transaction holding its
records, its refused rows and the job's counters, so a worker stopped halfway loses nothing:
the task is delivered again and the job resumes after the last committed chunk. Every row a
chunk writes gets a history entry naming the job ("import #12 customers.xlsx").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

import pghistory
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.masterdata.transfer import tables
from crm.masterdata.transfer.access import TRANSFER_JOB
from crm.masterdata.transfer.exporters import exporter_for
from crm.masterdata.transfer.importers import IMPORTERS, Outcome, importer_for
from crm.masterdata.transfer.models import (
    Direction,
    FileFormat,
    FileRole,
    JobStatus,
    Kind,
    RowError,
    TransferFile,
    TransferJob,
)
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access, history_context
from crm.platform.permissions.vocabulary import Action

CHUNK = 1000
FILE_NAME_LENGTH = 200
Progress = Callable[[TransferJob], None]


def _kind(value: str) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="kind", reason=f"one of {', '.join(Kind.values)}"
        ) from None


def _new_job(access: Access, **fields: Any) -> TransferJob:
    return TransferJob.objects.create(
        group_id=access.business_unit.group_id,
        business_unit=access.business_unit,
        created_by_id=access.principal.user_id,
        api_key_id=access.principal.api_key_id,
        **fields,
    )


def start_import(*, access: Access, kind: str, file_name: str, content: bytes) -> TransferJob:
    """A queued import job; the file's header is checked now, its rows by the worker."""
    access.require(Action.CREATE, TRANSFER_JOB)
    importer = importer_for(_kind(kind), access)
    access.require_some(Action.EDIT, importer.object_type)
    file_format = tables.format_of(file_name, content)
    header, _rows = tables.read(content, file_format)
    importer.check_header(header)
    job = _new_job(
        access,
        direction=Direction.IMPORT,
        kind=kind,
        format=file_format,
        file_name=(file_name or "upload")[-FILE_NAME_LENGTH:],
        digest=hashlib.sha256(content).hexdigest(),
    )
    TransferFile.objects.create(job=job, role=FileRole.SOURCE, content=content)
    return job


def start_export(
    *, access: Access, kind: str, file_format: str, options: dict[str, Any] | None = None
) -> TransferJob:
    access.require(Action.CREATE, TRANSFER_JOB)
    exporter = exporter_for(_kind(kind), access, options or {})
    access.require_some(Action.EXPORT, exporter.object_type)
    exporter.check_options()
    fmt = FileFormat(file_format)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return _new_job(
        access,
        direction=Direction.EXPORT,
        kind=kind,
        format=fmt,
        file_name=f"{kind.lower()}-{stamp}.{fmt.lower()}",
        options=options or {},
    )


def _chunks(rows: Iterator[tables.Row], size: int) -> Iterator[list[tables.Row]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _content(job: TransferJob, role: FileRole) -> bytes:
    return bytes(TransferFile.objects.get(job=job, role=role).content)


def fail(job: TransferJob, error: CrmError) -> TransferJob:
    job.status = JobStatus.FAILED
    job.error = error.as_extensions() | {"message": error.message}
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    return job


def run(job: TransferJob, access: Access, progress: Progress | None = None) -> TransferJob:
    """Run (or resume) the job as `access`; a typed refusal fails the job and writes nothing."""
    if job.finished:
        return job
    if job.status == JobStatus.QUEUED:
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    try:
        if job.direction == Direction.IMPORT:
            _import(job, access, progress)
        else:
            _export(job, access, progress)
    except CrmError as error:
        return fail(job, error)
    except Exception as error:
        # Not a refusal but a defect or an outage: the job says so, the log has the trace.
        fail(job, CrmError(ErrorCode.INTERNAL_ERROR, reason=type(error).__name__))
        raise
    job.status = JobStatus.SUCCEEDED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    if progress:
        progress(job)
    return job


def _import(job: TransferJob, access: Access, progress: Progress | None) -> None:
    access.require(Action.CREATE, TRANSFER_JOB)
    content = _content(job, FileRole.SOURCE)
    file_format = FileFormat(job.format)
    if job.total_rows is None:
        job.total_rows = tables.count_rows(content, file_format)
        job.save(update_fields=["total_rows"])
    importer = IMPORTERS[job.kind](access)
    header, rows = tables.read(content, file_format)
    importer.check_header(header)
    for _done in range(job.processed_rows):  # resuming: rows of committed chunks
        line, cells = next(rows)
        importer.lines.setdefault(importer.key_of(cells), line)
    why = history_context(access, f"import #{job.pk} {job.file_name}", "masterDataImport")
    for chunk in _chunks(rows, CHUNK):
        outcome = Outcome()
        with transaction.atomic(), pghistory.context(**why):
            importer.import_chunk(chunk, outcome)
            RowError.objects.bulk_create(
                RowError(
                    job=job,
                    row=failure.line,
                    column=failure.column,
                    code=failure.error.code.value,
                    params={"field": failure.error.field or "", **_texts(failure.error.params)},
                )
                for failure in outcome.failures
            )
            TransferJob.objects.filter(pk=job.pk).update(
                processed_rows=F("processed_rows") + len(chunk),
                created=F("created") + outcome.created,
                updated=F("updated") + outcome.updated,
                unchanged=F("unchanged") + outcome.unchanged,
                failed=F("failed") + len(outcome.failures),
            )
        job.refresh_from_db(fields=["processed_rows", "created", "updated", "unchanged", "failed"])
        if progress:
            progress(job)


def _texts(params: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in params.items()}


def _export(job: TransferJob, access: Access, progress: Progress | None) -> None:
    exporter = exporter_for(Kind(job.kind), access, job.options)
    access.require_some(Action.EXPORT, exporter.object_type)
    content, count = tables.write(exporter.header(), exporter.rows(), FileFormat(job.format))
    with transaction.atomic():
        TransferFile.objects.update_or_create(
            job=job, role=FileRole.RESULT, defaults={"content": content}
        )
        job.total_rows = job.processed_rows = count
        job.save(update_fields=["total_rows", "processed_rows"])


REPORT_COLUMNS = ["error_line", "error_column", "error_code", "error_message"]


def error_report(job: TransferJob, file_format: FileFormat) -> bytes:
    """The refused rows of an import: where, why (in the active language), and the row as it
    was in the file, so that it can be corrected and imported again on its own."""
    failures = {e.row: e for e in RowError.objects.filter(job=job).order_by("row")}
    header: list[str] = []
    originals: dict[int, dict[str, str]] = {}
    if job.direction == Direction.IMPORT and failures:
        content = _content(job, FileRole.SOURCE)
        header, rows = tables.read(content, FileFormat(job.format))
        originals = {line: cells for line, cells in rows if line in failures}

    def lines() -> Iterator[list[Any]]:
        for line, failure in failures.items():
            cells = originals.get(line, {})
            row = [line, failure.column, failure.code, failure.message]
            yield [*row, *[cells.get(c, "") for c in header]]

    content, _count = tables.write([*REPORT_COLUMNS, *header], lines(), file_format)
    return content


def result_file(job: TransferJob) -> bytes:
    """An export's file; NOT_FOUND until the export has finished."""
    found = TransferFile.objects.filter(job=job, role=FileRole.RESULT).first()
    if job.direction != Direction.EXPORT or found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object="export file", id=job.pk)
    return bytes(found.content)
