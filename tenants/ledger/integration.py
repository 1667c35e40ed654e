"""Integration events for ERP and finance: order confirmed, invoice issued, payment received.

`publish` is the one place an event leaves the ledger. In the transaction of the change it
reports, it writes the outbox row (`IntegrationEvent`: an event id, an idempotency key naming
the business fact, the payload) and one webhook delivery per active endpoint subscribed to the
kind, reusing automation's deliveries: sent after commit by its worker task, signed with the
BU's webhook secret (`X-CRM-Signature: sha256=...`), retried with exponential back-off and
jitter. The body carries `event_id` and `idempotency_key`: a receiver that gets an event twice
(a retry after a lost answer) can tell. Publishing the same fact again returns the first event
and sends nothing. Routing these through a central outbox later means changing this function.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.graphql.core.ids import scoped_global_id
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.automation.access import AUTOMATION_RULE
from crm.tenants.automation.definitions import clean_url
from crm.tenants.automation.models import WebhookDelivery
from crm.tenants.db import tenant_connection
from crm.tenants.ledger.models import EventKind, IntegrationEndpoint, IntegrationEvent
from crm.tenants.models import BusinessUnit

# Deliveries of one event to several endpoints get their own ids, derived from the event's.
DELIVERY_NAMESPACE = uuid.UUID("5d0f8c52-7f0a-4a53-9d1e-4d7e3b0c2a11")


def publish(
    kind: EventKind,
    *,
    business_unit: BusinessUnit,
    record_type: str,
    record_id: int,
    idempotency_key: str,
    data: dict[str, Any],
) -> IntegrationEvent:
    """Record the event (once per idempotency key) and queue its deliveries after commit."""
    existing = IntegrationEvent.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    now = timezone.now()
    event_id = uuid.uuid4()
    payload = {
        "event_id": str(event_id),
        "idempotency_key": idempotency_key,
        "kind": kind.value,
        "business_unit": business_unit.handle,
        "occurred_at": now.isoformat(),
        "record_type": record_type,
        "record_id": scoped_global_id(record_type, record_id),
        "data": data,
    }
    event = IntegrationEvent.objects.create(
        event_id=event_id,
        kind=kind.value,
        idempotency_key=idempotency_key,
        record_type=record_type,
        record_id=record_id,
        payload=payload,
        occurred_at=now,
    )
    endpoints = [
        endpoint
        for endpoint in IntegrationEndpoint.objects.filter(active=True).order_by("code")
        if kind.value in endpoint.kinds
    ]
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            rule=None,
            url=endpoint.url,
            event_id=uuid.uuid5(DELIVERY_NAMESPACE, f"{event_id}:{endpoint.code}"),
            payload=payload,
            created_at=now,
        )
        for endpoint in endpoints
    )
    if deliveries:
        _deliver_after_commit([delivery.pk for delivery in deliveries])
    return event


def _deliver_after_commit(delivery_ids: list[int]) -> None:
    from crm.tenants.automation.tasks import deliver_webhook

    schema = tenant_connection().schema_name

    def send() -> None:
        for delivery_id in delivery_ids:
            deliver_webhook.apply_async(args=[delivery_id], headers={"_schema_name": schema})

    transaction.on_commit(send)


def endpoint_set(
    access: Access, *, code: str, url: str, kinds: list[str], active: bool = True
) -> IntegrationEndpoint:
    """Create or change the receiver `code` of the BU's ledger events. The BU's automation
    settings govern it (who may configure webhooks may configure these); the URL follows the
    webhooks' rule (https to a public host)."""
    access.require(Action.EDIT, AUTOMATION_RULE)
    if not code or len(code) > 40 or not code.replace("-", "").replace("_", "").isalnum():
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="code", reason="a slug of 1 to 40")
    unknown = [kind for kind in kinds if kind not in EventKind.values]
    if not kinds or unknown:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="kinds",
            reason=f"some of {', '.join(EventKind.values)}",
        )
    endpoint, _created = IntegrationEndpoint.objects.update_or_create(
        code=code,
        defaults={"url": clean_url(url, "url"), "kinds": sorted(set(kinds)), "active": active},
    )
    return endpoint
