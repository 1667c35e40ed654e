"""Automation's Celery tasks: the time-based scan (beat), notification e-mails, webhooks.

- `crm.tenants.automation.scan_time_rules` (public schema, on beat): every local BU's
  time-based rules at the clock's time; then e-mails notifications whose message was lost.
- `crm.tenants.automation.send_notifications` (BU schema): e-mails notifications by id; the
  worker reads each recipient's address itself (no address travels in a message) and marks
  the notification e-mailed, once, under a row lock.
- `crm.tenants.automation.deliver_webhook` (BU schema): POSTs a delivery's payload, signed
  (HMAC-SHA256 of the body with the BU's webhook secret, header `X-CRM-Signature:
  sha256=<hex>`), with the event id (`X-CRM-Event-Id`) for the receiver's idempotency;
  retried with exponential back-off and jitter (`backoff_seconds`); after the last attempt
  (`AUTOMATION_WEBHOOK_ATTEMPTS`) it is FAILED, kept with its last error, and can be sent again
  (`redeliver`). The delivery row counts the attempts and says when the next is due; each
  message names the attempt it makes, so a duplicate (a swept message whose original turned
  up after all) finds that attempt made and does nothing.
- `crm.tenants.automation.sweep_webhooks` (public schema, on beat): in every local BU, queues
  again the PENDING deliveries whose attempt is overdue by `AUTOMATION_WEBHOOK_STUCK_AFTER`
  (their message was lost: the worker or broker was down when the transaction committed).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import random
from collections.abc import Iterable
from typing import Any

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django_tenants.utils import schema_context

from crm.platform.celery_app import app
from crm.tenants.automation import clock
from crm.tenants.automation.models import DeliveryStatus, Notification, WebhookDelivery
from crm.tenants.db import tenant_connection
from crm.tenants.models import BusinessUnit

logger = logging.getLogger(__name__)

SCAN_TIME_RULES = "crm.tenants.automation.scan_time_rules"
SEND_NOTIFICATIONS = "crm.tenants.automation.send_notifications"
DELIVER_WEBHOOK = "crm.tenants.automation.deliver_webhook"
SWEEP_WEBHOOKS = "crm.tenants.automation.sweep_webhooks"
# A notification not e-mailed this long after it was made lost its message: the scan sends it.
RESEND_AFTER = datetime.timedelta(minutes=10)
WEBHOOK_TIMEOUT = 10
SWEEP_BATCH = 1000


class WebhookDeliveryError(Exception):
    """The receiver answered with an error or could not be reached: try again later."""


def _business_unit() -> BusinessUnit:
    tenant: object = tenant_connection().tenant
    if isinstance(tenant, BusinessUnit):
        return tenant
    schema = tenant_connection().schema_name
    found: BusinessUnit | None = BusinessUnit.objects.filter(schema_name=schema).first()
    if found is None:
        raise RuntimeError("automation tasks run in a business unit's schema")
    return found


@app.task(name=SCAN_TIME_RULES)
def scan_time_rules_task() -> dict[str, Any]:
    """For every BU homed in this cell: its time-based rules now. Acts for no user."""
    from crm.tenants.automation.scan import scan_business_unit
    from crm.tenants.provisioning import local_business_units

    now = clock.now()
    outcome: dict[str, Any] = {}
    for business_unit in sorted(local_business_units(), key=lambda bu: bu.schema_name):
        try:
            with schema_context(business_unit.schema_name):
                scans = scan_business_unit(business_unit, now=now)
                resent = resend_lost_notifications(now)
        except Exception as error:
            logger.exception("automation scan of %s failed", business_unit.handle)
            outcome[business_unit.handle] = {"error": type(error).__name__}
            continue
        outcome[business_unit.handle] = {
            "fired": {scan.rule: scan.fired for scan in scans if scan.fired},
            "resent": resent,
        }
    return outcome


def resend_lost_notifications(now: datetime.datetime) -> int:
    ids = list(
        Notification.objects.filter(emailed_at__isnull=True, created_at__lte=now - RESEND_AFTER)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    if ids:
        send_notifications_task.delay(ids)
    return len(ids)


@app.task(
    name=SEND_NOTIFICATIONS,
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_notifications_task(ids: list[int]) -> int:
    return email_notifications(ids)


def email_notifications(ids: list[int]) -> int:
    """E-mail each notification of `ids` not e-mailed yet; returns how many were sent."""
    business_unit = _business_unit()
    sent = 0
    for pk in ids:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(skip_locked=True)
                .select_related("recipient")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if notification is None:
                continue
            address = notification.recipient.email
            if address and notification.recipient.is_active:
                EmailMessage(
                    subject=notification.subject,
                    body=notification.body or notification.subject,
                    to=[address],
                    headers={"X-CRM-Business-Unit": business_unit.handle},
                ).send()
                sent += 1
            # No address: the notification stays in-app only.
            notification.emailed_at = clock.now()
            notification.save(update_fields=["emailed_at"])
    return sent


def webhook_secret(business_unit: BusinessUnit) -> str:
    """The BU's webhook signing secret, derived from the cell's key (settings); integrators
    read it with the `automationWebhookSecret` query."""
    key = getattr(settings, "AUTOMATION_WEBHOOK_KEY", "") or settings.SECRET_KEY
    return hmac.new(
        key.encode(), f"webhook:{business_unit.schema_name}".encode(), hashlib.sha256
    ).hexdigest()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_attempts() -> int:
    """How many attempts a delivery gets before it is FAILED (the first and the retries)."""
    return max(1, int(getattr(settings, "AUTOMATION_WEBHOOK_ATTEMPTS", 9)))


def backoff_seconds(attempt: int) -> float:
    """The wait after failed attempt `attempt` (1, 2, ...): exponential from
    `AUTOMATION_WEBHOOK_BACKOFF` seconds, capped at `AUTOMATION_WEBHOOK_BACKOFF_MAX`, with
    "equal jitter" (half of it fixed, half random) so that receivers coming back are not hit
    by every sender at once and a wait is never shorter than half its step."""
    base = float(getattr(settings, "AUTOMATION_WEBHOOK_BACKOFF", 30.0))
    cap = float(getattr(settings, "AUTOMATION_WEBHOOK_BACKOFF_MAX", 3600.0))
    step: float = min(cap, base * 2.0 ** max(0, attempt - 1))
    return step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not a secret


def queue_deliveries(delivery_ids: Iterable[int | tuple[int, int]], *, schema: str) -> None:
    """Have the worker send the deliveries of BU `schema` (call after commit): ids, for a first
    attempt, or (id, attempt) pairs."""
    for entry in delivery_ids:
        delivery_id, attempt = entry if isinstance(entry, tuple) else (entry, 1)
        deliver_webhook.apply_async(
            args=[delivery_id], kwargs={"attempt": attempt}, headers={"_schema_name": schema}
        )


def _headers(business_unit: BusinessUnit, delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "crm-automation",
        "X-CRM-Event-Id": str(delivery.event_id),
        "X-CRM-Signature": signature(webhook_secret(business_unit), body),
        "X-CRM-Attempt": str(delivery.attempts),
    }
    key = delivery.payload.get("idempotency_key") if isinstance(delivery.payload, dict) else None
    if key:
        headers["Idempotency-Key"] = str(key)
    return headers


@app.task(
    name=DELIVER_WEBHOOK,
    bind=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=None,
)
def deliver_webhook(self: Any, delivery_id: int, attempt: int = 1) -> str:
    """Attempt number `attempt` of a delivery, under its row lock (two workers never send it at
    once); a failure schedules the next attempt by the back-off until the attempts are spent."""
    business_unit = _business_unit()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return "skipped"  # sent, failed for good, gone, or being sent by another worker
        if delivery.attempts + 1 != attempt:
            return "skipped"  # a duplicate message: this attempt was made already
        body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
        delivery.attempts += 1
        error = ""
        status: int | None = None
        try:
            response = requests.post(
                delivery.url,
                data=body,
                headers=_headers(business_unit, delivery, body),
                timeout=WEBHOOK_TIMEOUT,
                allow_redirects=False,
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except requests.RequestException as exception:
            error = type(exception).__name__
        delivery.response_status = status
        delivery.last_error = error[:500]
        countdown: float | None = None
        if not error:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = clock.now()
            delivery.next_attempt_at = None
        elif delivery.attempts >= webhook_attempts():
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            logger.warning(
                "webhook delivery %s to %s failed for good after %s attempts: %s",
                delivery.event_id,
                delivery.url,
                delivery.attempts,
                error,
            )
        else:
            countdown = backoff_seconds(delivery.attempts)
            delivery.next_attempt_at = clock.now() + datetime.timedelta(seconds=countdown)
        delivery.save(
            update_fields=[
                "attempts",
                "response_status",
                "last_error",
                "status",
                "delivered_at",
                "next_attempt_at",
            ]
        )
    if countdown is not None:
        raise self.retry(
            kwargs={"attempt": delivery.attempts + 1},
            countdown=countdown,
            exc=WebhookDeliveryError(error),
        )
    return str(delivery.status)


def requeue_stuck_webhooks(now: datetime.datetime) -> int:
    """Queue again the BU's PENDING deliveries overdue by the stuck delay (their message was
    lost); returns how many. Each names the attempt it makes: a late original is harmless."""
    stuck_after = datetime.timedelta(
        seconds=float(getattr(settings, "AUTOMATION_WEBHOOK_STUCK_AFTER", 300.0))
    )
    due = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now - stuck_after
        )
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:SWEEP_BATCH]
    )
    # Due again from now: a worker still down is not sent the same message every sweep.
    WebhookDelivery.objects.filter(pk__in=[pk for pk, _attempts in due]).update(next_attempt_at=now)
    queue_deliveries(
        [(pk, attempts + 1) for pk, attempts in due], schema=tenant_connection().schema_name
    )
    return len(due)


@app.task(name=SWEEP_WEBHOOKS)
def sweep_webhooks_task() -> dict[str, Any]:
    """For every BU homed in this cell: its webhook deliveries whose message was lost."""
    from crm.tenants.provisioning import local_business_units

    now = clock.now()
    outcome: dict[str, Any] = {}
    for business_unit in sorted(local_business_units(), key=lambda bu: bu.schema_name):
        try:
            with schema_context(business_unit.schema_name):
                requeued = requeue_stuck_webhooks(now)
        except Exception as error:
            logger.exception("webhook sweep of %s failed", business_unit.handle)
            outcome[business_unit.handle] = {"error": type(error).__name__}
            continue
        if requeued:
            outcome[business_unit.handle] = {"requeued": requeued}
    return outcome
