"""Integration events for ERP and finance: contract signed, order confirmed, invoice issued,
payment received; the endpoints that receive them; sending an event again.

`publish` is the one place an event leaves the BU. In the transaction of the change it reports,
it writes the outbox row (`IntegrationEvent`: an event id, an idempotency key naming the
business fact, the payload) and one webhook delivery per active endpoint subscribed to the
kind, reusing automation's deliveries: sent after commit by its worker task, signed with the
BU's webhook secret (`X-CRM-Signature: sha256=...`), retried with exponential back-off and
jitter, FAILED after the last attempt (kept, listed, and sent again by `redeliver`), swept up
again when the worker was down at commit. The body carries `event_id` and `idempotency_key`
(also the `Idempotency-Key` header): a receiver that gets an event twice (a retry after a lost
answer, a redelivery) can tell. Publishing the same fact again returns the first event and
sends nothing.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from crm.graphql.core.ids import scoped_global_id
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.automation.definitions import clean_url
from crm.tenants.automation.models import DeliveryStatus, WebhookDelivery
from crm.tenants.db import tenant_connection
from crm.tenants.ledger.access import INTEGRATION_ENDPOINT, INTEGRATION_EVENT
from crm.tenants.ledger.models import (
    EventKind,
    IntegrationDelivery,
    IntegrationEndpoint,
    IntegrationEvent,
)
from crm.tenants.models import BusinessUnit

# Deliveries of one event to several endpoints get their own ids, derived from the event's.
DELIVERY_NAMESPACE = uuid.UUID("5d0f8c52-7f0a-4a53-9d1e-4d7e3b0c2a11")
MAX_ENDPOINTS = 20


def delivery_id(event: IntegrationEvent, endpoint: IntegrationEndpoint) -> uuid.UUID:
    """The id of the event's delivery to `endpoint` (header `X-CRM-Event-Id`): the same on
    every attempt and every redelivery."""
    return uuid.uuid5(DELIVERY_NAMESPACE, f"{event.event_id}:{endpoint.code}")


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
    webhooks = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            rule=None,
            url=endpoint.url,
            event_id=delivery_id(event, endpoint),
            payload=payload,
            created_at=now,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    IntegrationDelivery.objects.bulk_create(
        IntegrationDelivery(event=event, endpoint=endpoint, webhook=webhook)
        for endpoint, webhook in zip(endpoints, webhooks, strict=True)
    )
    _deliver_after_commit([webhook.pk for webhook in webhooks])
    return event


def _deliver_after_commit(webhook_ids: list[int]) -> None:
    from crm.tenants.automation.tasks import queue_deliveries

    if not webhook_ids:
        return
    schema = tenant_connection().schema_name
    transaction.on_commit(lambda: queue_deliveries(webhook_ids, schema=schema))


# -- events ---------------------------------------------------------------------------------


def events(access: Access) -> QuerySet[IntegrationEvent]:
    """The BU's integration events the caller may view (none for who may view none)."""
    return access.visible(INTEGRATION_EVENT, IntegrationEvent.objects.all())


def listed_events(access: Access) -> QuerySet[IntegrationEvent]:
    """The events for a list: PERMISSION_DENIED for who may view none at all."""
    access.require_some(Action.VIEW, INTEGRATION_EVENT)
    return events(access)


def get_event(access: Access, pk: int, *, field: str = "id") -> IntegrationEvent:
    found = events(access).filter(pk=pk).first()
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="integration event", id=pk)
    return found


def kinds_of(values: Sequence[str], *, field: str) -> list[str]:
    """Event kinds by their value (`invoice.issued`), or INVALID_ARGUMENT naming the known."""
    unknown = [value for value in values if value not in EventKind.values]
    if unknown:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field=field,
            reason=f"some of {', '.join(EventKind.values)}",
        )
    return list(dict.fromkeys(values))


def filter_events(
    queryset: QuerySet[IntegrationEvent],
    business_unit: BusinessUnit,
    *,
    kinds: Sequence[str] = (),
    occurred_from: datetime.date | None = None,
    occurred_to: datetime.date | None = None,
    delivery_status: str | None = None,
) -> QuerySet[IntegrationEvent]:
    """Events of some kinds, occurred between two days of the BU's calendar (inclusive), with
    a delivery in a status (e.g. FAILED: what needs to be sent again)."""
    if kinds:
        queryset = queryset.filter(kind__in=kinds_of(kinds, field="kind"))
    if occurred_from and occurred_to and occurred_from > occurred_to:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="occurredTo", reason="on or after occurredFrom"
        )
    zone = ZoneInfo(business_unit.time_zone)
    if occurred_from:
        start = datetime.datetime.combine(occurred_from, datetime.time.min, tzinfo=zone)
        queryset = queryset.filter(occurred_at__gte=start)
    if occurred_to:
        end = datetime.datetime.combine(
            occurred_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        queryset = queryset.filter(occurred_at__lt=end)
    if delivery_status:
        if delivery_status not in DeliveryStatus.values:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="deliveryStatus",
                reason=f"one of {', '.join(DeliveryStatus.values)}",
            )
        queryset = queryset.filter(
            Exists(
                IntegrationDelivery.objects.filter(
                    event=OuterRef("pk"), webhook__status=delivery_status
                )
            )
        )
    return queryset


def redeliver(
    access: Access, event: IntegrationEvent, *, endpoint: str | None = None
) -> list[IntegrationDelivery]:
    """Send an event again, as it was (same event id, idempotency key, body and delivery ids),
    to its active endpoints subscribed to its kind now (or to the one named `endpoint`), with a
    fresh round of attempts; an endpoint subscribed since gets its first delivery. Whatever the
    delivery's status: a receiver that lost what it was sent can ask for it again."""
    with transaction.atomic():
        locked = (
            access.visible(INTEGRATION_EVENT, IntegrationEvent.objects.all())
            .select_for_update()
            .filter(pk=event.pk)
            .first()
        )
        if locked is None:
            raise CrmError(
                ErrorCode.NOT_FOUND, field="event", object="integration event", id=event.pk
            )
        access.require(Action.EDIT, locked)
        subscribed = IntegrationEndpoint.objects.filter(active=True).order_by("code")
        if endpoint is not None:
            chosen = IntegrationEndpoint.objects.filter(code=endpoint).first()
            if chosen is None:
                raise CrmError(
                    ErrorCode.NOT_FOUND,
                    field="endpoint",
                    object="integration endpoint",
                    id=endpoint,
                )
            if not chosen.active or locked.kind not in chosen.kinds:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="endpoint",
                    reason=f"an active endpoint subscribed to {locked.kind}",
                )
            targets = [chosen]
        else:
            targets = [target for target in subscribed if locked.kind in target.kinds]
            if not targets:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="event",
                    reason=f"an event of a kind an active endpoint receives ({locked.kind})",
                )
        now = timezone.now()
        actor = access.principal.label[:200]
        existing = {
            link.endpoint_id: link
            for link in IntegrationDelivery.objects.select_for_update()
            .select_related("webhook")
            .filter(event=locked, endpoint__in=targets)
        }
        links: list[IntegrationDelivery] = []
        for target in targets:
            link = existing.get(target.pk)
            if link is None:
                webhook = WebhookDelivery.objects.create(
                    rule=None,
                    url=target.url,
                    event_id=delivery_id(locked, target),
                    payload=locked.payload,
                    created_at=now,
                    next_attempt_at=now,
                )
                link = IntegrationDelivery(event=locked, endpoint=target, webhook=webhook)
            else:
                webhook = link.webhook
                webhook.url = target.url  # where the endpoint receives now
                webhook.status = DeliveryStatus.PENDING
                webhook.attempts = 0
                webhook.next_attempt_at = now
                webhook.save(update_fields=["url", "status", "attempts", "next_attempt_at"])
            link.redeliveries += 1
            link.redelivered_at = now
            link.redelivered_by = actor
            link.save()
            links.append(link)
        _deliver_after_commit([link.webhook_id for link in links])
    return links


# -- endpoints ------------------------------------------------------------------------------


def endpoints(access: Access) -> QuerySet[IntegrationEndpoint]:
    access.require_some(Action.VIEW, INTEGRATION_ENDPOINT)
    return access.visible(INTEGRATION_ENDPOINT, IntegrationEndpoint.objects.all())


def endpoint_set(
    access: Access, *, code: str, url: str, kinds: list[str], active: bool = True
) -> IntegrationEndpoint:
    """Create or change the receiver `code` of the BU's events; the URL follows the webhooks'
    rule (https to a public host)."""
    if not code or len(code) > 40 or not code.replace("-", "").replace("_", "").isalnum():
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="code",
            reason="a slug of 1 to 40 letters, digits, - _",
        )
    if not kinds:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="kinds", reason="at least one kind")
    chosen = sorted(kinds_of(kinds, field="kinds"))
    cleaned = clean_url(url, "url")
    with transaction.atomic():
        endpoint = IntegrationEndpoint.objects.select_for_update().filter(code=code).first()
        fields = ["url", "kinds", "active"]
        if endpoint is None:
            access.require(Action.CREATE, INTEGRATION_ENDPOINT, ["code", *fields])
            if IntegrationEndpoint.objects.count() >= MAX_ENDPOINTS:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="code",
                    reason=f"at most {MAX_ENDPOINTS} endpoints per business unit",
                )
            endpoint = IntegrationEndpoint(code=code)
        else:
            access.require(Action.EDIT, endpoint, fields)
        endpoint.url = cleaned
        endpoint.kinds = chosen
        endpoint.active = active
        endpoint.save()
    return endpoint
