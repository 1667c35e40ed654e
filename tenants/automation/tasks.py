"""Automation's Celery tasks: the time-based scan (beat), notification e-mails, webhooks.

- `crm.tenants.automation.scan_time_rules` (public schema, on beat): every local BU's
  time-based rules at the clock's time; then e-mails notifications whose message was lost.
- `crm.tenants.automation.send_notifications` (BU schema): e-mails notifications by id; the
  worker reads each recipient's address itself (no address travels in a message) and marks
  the notification e-mailed, once, under a row lock.
- `crm.tenants.automation.deliver_webhook` (BU schema): POSTs a delivery's payload, signed
  (HMAC-SHA256 of the body with the BU's webhook secret, header `X-CRM-Signature:
  sha256=<hex>`), with the event id (`X-CRM-Event-Id`) for the receiver's idempotency;
  retried with exponential back-off and jitter; after the last attempt it is FAILED.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
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
# A notification not e-mailed this long after it was made lost its message: the scan sends it.
RESEND_AFTER = datetime.timedelta(minutes=10)
WEBHOOK_TIMEOUT = 10
WEBHOOK_RETRIES = 8


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


@app.task(
    name=DELIVER_WEBHOOK,
    bind=True,
    autoretry_for=(WebhookDeliveryError, ConnectionError),
    retry_backoff=True,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=WEBHOOK_RETRIES,
)
def deliver_webhook(self: Any, delivery_id: int) -> str:
    business_unit = _business_unit()
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status == DeliveryStatus.DELIVERED:
        return "skipped"
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "crm-automation",
        "X-CRM-Event-Id": str(delivery.event_id),
        "X-CRM-Signature": signature(webhook_secret(business_unit), body),
    }
    delivery.attempts += 1
    error = ""
    status: int | None = None
    try:
        response = requests.post(
            delivery.url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT, allow_redirects=False
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except requests.RequestException as exception:
        error = type(exception).__name__
    delivery.response_status = status
    delivery.last_error = error[:500]
    if not error:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = clock.now()
    elif self.request.retries >= self.max_retries:
        delivery.status = DeliveryStatus.FAILED
    delivery.save(
        update_fields=["attempts", "response_status", "last_error", "status", "delivered_at"]
    )
    if error and delivery.status != DeliveryStatus.FAILED:
        raise WebhookDeliveryError(error)
    return str(delivery.status)
