"""The internal endpoint a cell answers group-view requests on: POST /internal/aggregates/<name>.

The signature is checked first, on the exact body bytes: an unsigned, tampered or unknown-key
request is refused (403) before anything is parsed or computed. Only then is the body read and
the group looked up. Refusals are logged with their reason (never with the body).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.regions.federation import cell
from crm.regions.federation.contract import (
    SIGNING_PURPOSE,
    AggregateRequest,
    ContractError,
    Refusal,
)
from crm.regions.signing import SignatureError, verify

log = logging.getLogger(__name__)

_REFUSAL_STATUS = {
    Refusal.SIGNATURE: 403,
    Refusal.OTHER_CELL: 421,
    Refusal.GROUP_NOT_FOUND: 404,
}


def _refused(refusal: Refusal) -> JsonResponse:
    return JsonResponse({"refused": refusal.value}, status=_REFUSAL_STATUS[refusal])


@csrf_exempt
@require_POST
def aggregate_endpoint(request: HttpRequest, name: str) -> JsonResponse:
    body = request.body
    try:
        key_id = verify(request.headers, body, purpose=SIGNING_PURPOSE)
    except SignatureError as error:
        log.warning("group view request refused: %s", error.reason)
        return _refused(Refusal.SIGNATURE)
    try:
        parsed = AggregateRequest.from_bytes(body)
        if parsed.aggregate != name:
            raise ContractError("the aggregate in the path and in the body differ")
        answer = cell.answer(parsed)
    except cell.RefusedError as refusal:
        log.warning("group view request refused: %s (key %s)", refusal.refusal, key_id)
        return _refused(refusal.refusal)
    except ContractError as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse(answer)
