"""Downloading an access or portability export over HTTP, with the same headers as the API.

    GET /files/data-subject-requests/<id>/export.json

Needs `export` on the request (a data protection officer or group administrator). A request
out of the caller's view, without an export, or whose export expired answers 404 NOT_FOUND.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.web.middleware import error_response
from crm.regions.privacy.requests import export_of


def subject_export(request: HttpRequest, request_id: int) -> HttpResponse:
    access = getattr(request, "access", None)
    if access is None:
        return error_response(CrmError(ErrorCode.UNAUTHENTICATED))
    try:
        export = export_of(access, request_id=request_id)
        body = json.dumps(export.document, ensure_ascii=False, indent=2, sort_keys=True)
        response = HttpResponse(body.encode(), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="data-subject-request-{request_id}.json"'
        )
        response["Cache-Control"] = "no-store"
        return response
    except CrmError as error:
        refusal: JsonResponse = error_response(error)
        if error.code == ErrorCode.NOT_FOUND:
            refusal.status_code = 404
        elif error.code == ErrorCode.PERMISSION_DENIED:
            refusal.status_code = 403
        return refusal
    finally:
        access.flush()
