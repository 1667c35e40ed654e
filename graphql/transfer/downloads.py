"""Downloading a job's files over HTTP, with the same headers as the GraphQL API.

    GET /files/transfer-jobs/<id>/errors.csv   (or errors.xlsx): an import's refused rows
    GET /files/transfer-jobs/<id>/<file name>: an export's file, once finished

Jobs out of the caller's view answer 404 NOT_FOUND, exactly like jobs that do not exist.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from crm.graphql.transfer.queries import visible_job
from crm.masterdata.transfer.jobs import error_report, result_file
from crm.masterdata.transfer.models import Direction, FileFormat, TransferJob
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.web.middleware import error_response

CONTENT_TYPES = {
    FileFormat.CSV: "text/csv; charset=utf-8",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _attachment(content: bytes, file_format: FileFormat, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def transfer_file(request: HttpRequest, job_id: int, name: str) -> HttpResponse:
    access = getattr(request, "access", None)
    if access is None:
        return error_response(CrmError(ErrorCode.UNAUTHENTICATED))
    try:
        job: TransferJob = visible_job(access, job_id)
        if name in ("errors.csv", "errors.xlsx") and job.direction == Direction.IMPORT:
            file_format = FileFormat.XLSX if name.endswith(".xlsx") else FileFormat.CSV
            report = error_report(job, file_format)
            return _attachment(report, file_format, f"job-{job.pk}-{name}")
        if name == job.file_name and job.direction == Direction.EXPORT:
            return _attachment(result_file(job), FileFormat(job.format), job.file_name)
        raise CrmError(ErrorCode.NOT_FOUND, field="name", object="file", id=name)
    except CrmError as error:
        response: JsonResponse = error_response(error)
        if error.code == ErrorCode.NOT_FOUND:
            response.status_code = 404
        return response
    finally:
        access.flush()
