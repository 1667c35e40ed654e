"""Integration events for ERP and finance (contract signed, order confirmed, invoice issued,
payment received) and the endpoints (an ERP, a finance system) that receive them.

`IntegrationEvent` is the outbox row, written in the transaction of the change it reports: its
`event_id` names the event, its `idempotency_key` names the business fact (e.g. invoice 17 was
issued), unique, so the same fact is recorded once however often the code path runs. Each
active endpoint subscribed to the event's kind gets a signed webhook delivery (automation's
`WebhookDelivery`, retried with back-off by its worker task); `IntegrationDelivery` ties the
two, so an event's deliveries (and their status) can be listed and sent again.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import tenant_model


class EventKind(models.TextChoices):
    CONTRACT_SIGNED = "contract.signed", _("Contract signed")
    ORDER_CONFIRMED = "order.confirmed", _("Order confirmed")
    INVOICE_ISSUED = "invoice.issued", _("Invoice issued")
    PAYMENT_RECEIVED = "payment.received", _("Payment received")


@tenant_model(personal_data=True)
class IntegrationEvent(models.Model):
    event_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    record_type = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    payload = models.JSONField()
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["record_type", "record_id"], name="ledger_event_record"),
            # The list for integrators and admins: newest first, by kind.
            models.Index(fields=["-occurred_at", "id"], name="ledger_event_newest"),
            models.Index(fields=["kind", "-occurred_at"], name="ledger_event_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


@tenant_model(personal_data=False)
class IntegrationEndpoint(models.Model):
    """A receiver of the ledger's events (e.g. the BU's ERP), by URL and event kinds."""

    code = models.SlugField(max_length=40, unique=True)
    url = models.URLField(max_length=500)
    kinds = ArrayField(models.CharField(max_length=40, choices=EventKind.choices))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


@tenant_model(personal_data=False)
class IntegrationDelivery(models.Model):
    """An event sent to one endpoint: the webhook delivery that carries it (the same delivery,
    with the same ids, when it is sent again)."""

    event = models.ForeignKey(IntegrationEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        IntegrationEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    webhook = models.OneToOneField(
        "automation.WebhookDelivery", on_delete=models.PROTECT, related_name="+"
    )
    # Sent again on request (integrationEventRedeliver): how often, when last and by whom.
    redeliveries = models.PositiveIntegerField(default=0)
    redelivered_at = models.DateTimeField(null=True, blank=True)
    redelivered_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["event", "endpoint"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="ledger_event_endpoint_once")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint_id}"
