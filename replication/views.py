"""The cell-to-cell endpoint that receives replication batches: POST /internal/replication/batches.

Order of checks: the signature over the exact body bytes (purpose "replication"); the batch's
shape; that it comes from the group's home cell and not for a group homed here; then `apply`.
Every refusal changes nothing and is recorded as an `Incident` (except the ordinary answers of
replication: duplicate and gap). Answers are JSON: `{"status": …, "applied_version": …}`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.regions.signing import KEY_ID_HEADER, SignatureError, verify
from crm.replication import apply as applying
from crm.replication.models import Incident, IncidentKind, ReplicaState
from crm.replication.transport import PURPOSE
from crm.tenants.models import Group

log = logging.getLogger(__name__)


def _claimed(body: bytes) -> dict[str, Any]:
    """What an untrusted body says about itself, for the incident record only."""
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    group = data.get("group")
    if not isinstance(group, dict):
        group = {}
    claimed: dict[str, Any] = {"source": str(data.get("source", ""))[:16]}
    for name, value in (
        ("group_id", group.get("id")),
        ("first_version", data.get("first_version")),
        ("last_version", data.get("last_version")),
    ):
        if isinstance(value, int) and not isinstance(value, bool):
            claimed[name] = value
    return claimed


def _refuse(
    request: HttpRequest, body: bytes, kind: IncidentKind, reason: str, status: int, **extra: Any
) -> JsonResponse:
    with transaction.atomic():
        Incident.objects.create(
            kind=kind,
            reason=reason[:500],
            remote_address=str(request.META.get("REMOTE_ADDR", ""))[:60],
            key_id=str(request.headers.get(KEY_ID_HEADER, ""))[:64],
            body_sha256=hashlib.sha256(body).hexdigest(),
            **{**_claimed(body), **extra},
        )
    log.warning("replication batch refused (%s): %s", kind, reason)
    return JsonResponse({"status": "refused", "kind": kind.value, "reason": reason}, status=status)


@csrf_exempt
@require_POST
def receive_batch(request: HttpRequest) -> JsonResponse:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.REPLICATION_MAX_BODY:
        reason = f"body of {length} bytes is above REPLICATION_MAX_BODY"
        return _refuse(request, b"", IncidentKind.MALFORMED, reason, 413)
    # Read from the stream: Django's request.body stops at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
    body = request.read(length) if length else b""
    try:
        verify(request.headers, body, purpose=PURPOSE)
    except SignatureError as error:
        return _refuse(request, body, IncidentKind.BAD_SIGNATURE, error.reason, 401)
    try:
        batch = applying.parse(body)
    except applying.MalformedBatchError as error:
        return _refuse(request, body, IncidentKind.MALFORMED, str(error), 400)
    local_home = (
        Group.objects.filter(pk=batch.group_id).values_list("home_region_id", flat=True).first()
    )
    if batch.source == settings.REGION or local_home == settings.REGION:
        reason = f"group {batch.group_code or batch.group_id} is homed in this cell"
        return _refuse(request, body, IncidentKind.WRONG_SOURCE, reason, 403)
    try:
        outcome = applying.apply(batch, body)
    except DatabaseError as error:
        reason = f"{type(error).__name__}: {error}".strip()
        return _refuse(request, body, IncidentKind.APPLY_FAILED, reason, 422)
    for group_id in outcome.provision:
        try:
            made = applying.provision_schemas(group_id)
        except Exception as error:
            log.exception("provisioning after replication failed")
            ReplicaState.objects.filter(group_id=group_id, source=batch.source).update(
                provision_pending=True
            )
            Incident.objects.create(
                kind=IncidentKind.PROVISIONING_FAILED,
                source=batch.source,
                group_id=group_id,
                reason=f"{type(error).__name__}: {error}"[:500],
            )
        else:
            if made:
                log.info("provisioned %s after replication", ", ".join(made))
    if "masterdata.exchangerate" in outcome.models:
        try:
            applying.reprice(batch.group_id)
        except Exception:  # the broker may be away; the morning refresh follows
            log.exception("repricing after replicated rates failed")
    status = 409 if outcome.status == "gap" else 200
    return JsonResponse(outcome.as_json(), status=status)
