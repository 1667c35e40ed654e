"""Automation rules as data, per business unit, and what they did.

A rule has a trigger (a record created, a field changed, a stage changed, time elapsed since an
event, an external event such as an e-mail opened), conditions on the record, and actions
(create a task, notify users or roles, set a field, assign, call a webhook). Each firing is
recorded once per rule, record and occurrence (`Firing`'s unique key), which is what makes a
time-based rule fire exactly once however often the scan runs and whatever worker restarts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import tenant_model


class Trigger(models.TextChoices):
    CREATED = "CREATED", _("Record created")
    FIELD_CHANGED = "FIELD_CHANGED", _("Field changed")
    STAGE_CHANGED = "STAGE_CHANGED", _("Stage changed")
    TIME_ELAPSED = "TIME_ELAPSED", _("Time elapsed since an event")
    EXTERNAL = "EXTERNAL", _("External event")


class RecordType(models.TextChoices):
    LEAD = "lead", _("Lead")
    ACCOUNT = "local_customer", _("Account")
    CONTACT = "contact", _("Contact")
    OPPORTUNITY = "opportunity", _("Opportunity")
    TASK = "task", _("Task")
    CONTRACT = "contract", _("Contract")


@tenant_model(personal_data=False)
class Rule(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    active = models.BooleanField(default=True)
    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    trigger = models.CharField(max_length=14, choices=Trigger.choices)
    # Trigger parameters, by trigger:
    #   FIELD_CHANGED: {"field": "owner"}
    #   STAGE_CHANGED: {"from": "quote", "to": "negotiation"} (either may be omitted)
    #   TIME_ELAPSED:  {"since": "created_at", "hours": 24}
    #   EXTERNAL:      {"events": ["EMAIL_OPENED", "LINK_CLICKED"]}
    parameters = models.JSONField(default=dict, blank=True)
    # [{"field": "status", "op": "in", "value": ["NEW"]}, ...], all must hold.
    conditions = models.JSONField(default=list, blank=True)
    # [{"type": "NOTIFY", "to": {"roles": ["bu_manager"], "owner_manager": true}, ...}, ...]
    actions = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    # Set for the rules shipped as defaults, so a BU's changes to them are kept on upgrade.
    default_code = models.CharField(max_length=60, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.code


@tenant_model(personal_data=False)
class Firing(models.Model):
    """A rule fired for a record and occurrence; the unique key makes it happen once."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    record_type = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    # What occurrence: e.g. "created", "stage:quote>negotiation@<event id>", "elapsed:<ts>".
    occurrence = models.CharField(max_length=200)
    fired_at = models.DateTimeField(default=timezone.now)
    # What the actions did (ids of tasks and notifications, webhook deliveries, fields set).
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "record_type", "record_id", "occurrence"], name="fire_once"
            ),
        ]
        indexes = [models.Index(fields=["record_type", "record_id"], name="firing_record")]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.record_type}:{self.record_id}:{self.occurrence}"


@tenant_model(personal_data=True)
class Notification(models.Model):
    """An in-app message to one user (also e-mailed through Django's mail backend)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")
    record_type = models.CharField(max_length=20, blank=True, default="")
    record_id = models.BigIntegerField(null=True, blank=True)
    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["created_at"],
                name="notification_unsent",
                condition=models.Q(emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    DELIVERED = "DELIVERED", _("Delivered")
    FAILED = "FAILED", _("Failed")


@tenant_model(personal_data=False)
class WebhookDelivery(models.Model):
    """A webhook call (a rule's, or an integration event's), sent by a worker with retries:
    the outbox row. `next_attempt_at` says when a PENDING delivery is due (now when made, later
    after a failed attempt, by the back-off); a PENDING delivery long past it lost its message
    (say the worker was down when the transaction committed), and the sweep queues it again."""

    rule = models.ForeignKey(Rule, null=True, on_delete=models.SET_NULL, related_name="+")
    url = models.URLField(max_length=500)
    event_id = models.UUIDField(unique=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # PENDING: when the next attempt is due; empty once DELIVERED or FAILED.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status="PENDING"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.url}"


@tenant_model(personal_data=False)
class ExternalEvent(models.Model):
    """An event reported by an integration (EMAIL_OPENED, LINK_CLICKED) about a record."""

    kind = models.CharField(max_length=40)
    record_type = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    # The sender's id of the event: the same event reported twice is recorded once.
    external_id = models.CharField(max_length=200, unique=True)
    details = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.record_type}:{self.record_id}"
