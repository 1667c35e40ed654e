"""People at the BU's accounts (personal data), and the work done with them: activities, tasks.

A contact's name is kept in its local script (山田 太郎, Müller) and in Latin transcription
(Yamada Taro), with phones, e-mails, the role in the buying centre and consent flags. Activities
(call, visit, e-mail, meeting, note) are logged against an account, a contact, a lead or an
opportunity; logging one keeps "last follow-up" on the account and the opportunity. Tasks have a
due date, an owner and a reminder time.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import tenant_model


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "DECISION_MAKER", _("Decision maker")
    INFLUENCER = "INFLUENCER", _("Influencer")
    USER = "USER", _("User")
    TECHNICAL_BUYER = "TECHNICAL_BUYER", _("Technical buyer")
    COMMERCIAL_BUYER = "COMMERCIAL_BUYER", _("Commercial buyer (purchasing)")
    GATEKEEPER = "GATEKEEPER", _("Gatekeeper")
    CHAMPION = "CHAMPION", _("Champion")


@tenant_model(personal_data=True)
class Contact(models.Model):
    account = models.ForeignKey(
        "localcustomers.LocalCustomer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100)
    first_name_latin = models.CharField(max_length=100, blank=True, default="")
    last_name_latin = models.CharField(max_length=100, blank=True, default="")
    job_title = models.CharField(max_length=200, blank=True, default="")
    buying_role = models.CharField(
        max_length=20, choices=BuyingRole.choices, blank=True, default=""
    )
    email = models.EmailField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    mobile = models.CharField(max_length=40, blank=True, default="")
    language = models.CharField(max_length=10, blank=True, default="")
    # Consent flags; the purpose-level consent records with source and time arrive with #6.
    consent_email = models.BooleanField(default=False)
    consent_phone = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_id = models.BigIntegerField(null=True, blank=True, help_text="The lead it came from.")
    custom = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["email"], name="contact_email"),
            models.Index(fields=["phone"], name="contact_phone"),
            models.Index(fields=["account", "id"], name="contact_account"),
            models.Index(fields=["last_name", "id"], name="contact_by_name"),
            GinIndex(fields=["custom"], name="contact_custom", opclasses=["jsonb_path_ops"]),
        ]

    def __str__(self) -> str:
        return f"contact {self.pk}"


class ActivityKind(models.TextChoices):
    CALL = "CALL", _("Call")
    VISIT = "VISIT", _("Visit")
    EMAIL = "EMAIL", _("E-mail")
    MEETING = "MEETING", _("Meeting")
    NOTE = "NOTE", _("Note")
    # Logged by automation from external events (an e-mail opened, a link clicked).
    ENGAGEMENT = "ENGAGEMENT", _("Customer engagement")


# Kinds that count as following up with the customer ("last follow-up").
FOLLOW_UP_KINDS = (ActivityKind.CALL, ActivityKind.VISIT, ActivityKind.EMAIL, ActivityKind.MEETING)


@tenant_model(personal_data=True)
class Activity(models.Model):
    kind = models.CharField(max_length=12, choices=ActivityKind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")
    occurred_at = models.DateTimeField(default=timezone.now)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        "localcustomers.LocalCustomer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at", "id"], name="activity_newest_first"),
            models.Index(fields=["account", "-occurred_at"], name="activity_account"),
            models.Index(fields=["opportunity", "-occurred_at"], name="activity_opportunity"),
            models.Index(fields=["lead", "-occurred_at"], name="activity_lead"),
            models.Index(fields=["contact", "-occurred_at"], name="activity_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class TaskStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    DONE = "DONE", _("Done")
    CANCELLED = "CANCELLED", _("Cancelled")


@tenant_model(personal_data=False)
class Task(models.Model):
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    due_at = models.DateTimeField()
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "localcustomers.LocalCustomer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    # Set when an automation rule created it.
    rule_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="task_owner_due"),
            models.Index(fields=["account", "status"], name="task_account"),
            models.Index(
                fields=["remind_at"],
                name="task_reminder_pending",
                condition=models.Q(status="OPEN", reminded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title
