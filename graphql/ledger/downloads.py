"""Downloading an invoice's printable document over HTTP, with the same headers as the API.

    GET /files/invoices/<id>/invoice.html   the invoice in the customer's language (HTML)

An invoice out of the caller's view answers 404 NOT_FOUND, exactly like one that does not exist;
one whose document the policy hides from the caller, 403.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.vocabulary import Action
from crm.platform.web.middleware import error_response
from crm.tenants.ledger import invoices
from crm.tenants.ledger.document import invoice_language, render_invoice


def invoice_document(request: HttpRequest, invoice_id: int) -> HttpResponse:
    access = getattr(request, "access", None)
    if access is None:
        return error_response(CrmError(ErrorCode.UNAUTHENTICATED))
    try:
        invoice = invoices.get_invoice(access, invoice_id)
        access.require(Action.VIEW, invoice, ["document"])
        html = render_invoice(invoice, access.business_unit)
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        name = invoice.number or f"draft-{invoice.pk}"
        response["Content-Disposition"] = f'inline; filename="{name}.html"'
        response["Content-Language"] = invoice_language(invoice, access.business_unit)
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
