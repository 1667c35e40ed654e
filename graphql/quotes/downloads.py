"""Downloading a quote's printable document over HTTP, with the same headers as the API.

    GET /files/quotes/<id>/quote.html   the quote in the customer's language (HTML, printable)

A quote out of the caller's view answers 404 NOT_FOUND, exactly like one that does not exist.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.vocabulary import Action
from crm.platform.web.middleware import error_response
from crm.tenants.quotes import services
from crm.tenants.quotes.document import render_quote


def quote_document(request: HttpRequest, quote_id: int) -> HttpResponse:
    access = getattr(request, "access", None)
    if access is None:
        return error_response(CrmError(ErrorCode.UNAUTHENTICATED))
    try:
        quote = services.get_quote(access, quote_id)
        access.require(Action.VIEW, quote, ["document"])
        html = render_quote(quote, access.business_unit)
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{quote.number}-v{quote.version}.html"'
        response["Content-Language"] = quote.language
        return response
    except CrmError as error:
        answer: JsonResponse = error_response(error)
        if error.code == ErrorCode.NOT_FOUND:
            answer.status_code = 404
        elif error.code == ErrorCode.PERMISSION_DENIED:
            answer.status_code = 403
        return answer
    finally:
        access.flush()
