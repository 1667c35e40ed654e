"""Telling the BU's integrations that personal data was erased (GDPR art. 17(2) and 19).

The recipients are the webhook addresses of the BU's automation rules, active or not: every
integration that was sent record events may hold copies. Each address gets one
`PERSONAL_DATA_ERASED` event per erasure through automation's webhook outbox
(`WebhookDelivery`, sent by the worker after commit, signed, retried). The event names the
request (or retention run) and the records' ids (quote-to-cash documents whose texts were
erased included), never the erased data.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.tenants.db import tenant_connection
from crm.tenants.models import BusinessUnit
from crm.tenants.personaldata.documents import KINDS
from crm.tenants.personaldata.subjects import Found, global_id

ERASED_EVENT = "PERSONAL_DATA_ERASED"


def webhook_urls() -> list[str]:
    """The distinct webhook addresses of the BU's automation rules."""
    from crm.tenants.automation.models import Rule

    urls: dict[str, None] = {}
    for actions in Rule.objects.order_by("pk").values_list("actions", flat=True):
        for action in actions or []:
            if isinstance(action, dict) and action.get("type") == "WEBHOOK" and action.get("url"):
                urls[str(action["url"])] = None
    return list(urls)


def record_ids(
    business_unit: BusinessUnit, found: Found, documents: dict[str, list[int]] | None = None
) -> list[dict[str, str]]:
    return [
        *(
            {"record_type": "contact", "record_id": global_id(business_unit, "Contact", pk)}
            for pk in found.contact_ids
        ),
        *(
            {"record_type": "lead", "record_id": global_id(business_unit, "Lead", pk)}
            for pk in found.lead_ids
        ),
        *(
            {"record_type": "activity", "record_id": global_id(business_unit, "Activity", pk)}
            for pk in found.activity_ids
        ),
        *(
            {"record_type": kind.name, "record_id": global_id(business_unit, kind.graphql_type, pk)}
            for kind in KINDS
            for pk in (documents or {}).get(kind.name, [])
        ),
    ]


def notify_erasure(
    business_unit: BusinessUnit,
    found: Found,
    *,
    reason: str,
    reference: str,
    documents: dict[str, list[int]] | None = None,
) -> list[int]:
    """Queue one erasure event per integration address; returns the deliveries' ids.
    `documents`: the documents whose texts were erased (by kind)."""
    from crm.tenants.automation.models import WebhookDelivery
    from crm.tenants.automation.tasks import deliver_webhook

    records = record_ids(business_unit, found, documents)
    if not records:
        return []
    now = timezone.now()
    deliveries = []
    for url in webhook_urls():
        event_id = uuid.uuid4()
        payload: dict[str, Any] = {
            "event_id": str(event_id),
            "event": ERASED_EVENT,
            "business_unit": business_unit.handle,
            "reason": reason,
            "reference": reference,
            "records": records,
            "erased_at": now.isoformat(),
        }
        deliveries.append(
            WebhookDelivery(rule=None, url=url, event_id=event_id, payload=payload, created_at=now)
        )
    WebhookDelivery.objects.bulk_create(deliveries)
    ids = [delivery.pk for delivery in deliveries]
    schema = tenant_connection().schema_name

    def send() -> None:
        for pk in ids:
            deliver_webhook.apply_async(args=[pk], headers={"_schema_name": schema})

    if ids:
        transaction.on_commit(send)
    return ids
