"""Data-subject requests, what their erasure did, retention policies and their runs, per cell.

Everything here lives in the cell of its region and concerns the business units homed there: a
request received in the EU cell searches the group's EU business units only, and neither the
request nor its export ever leaves this cell's database.

A request is tracked against its legal deadline (one calendar month after receipt, GDPR art.
12(3)). Once an erasure is done, the request keeps no trace of whom it was about: the identifier
is replaced by a salted hash (the same identifier given again can be recognised, nothing can be
read back), and the erasure records hold counts and record ids only.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import shared_model
from crm.tenants.personaldata.identifiers import IdentifierType
from crm.tenants.personaldata.retention import RetentionRecordType


class RequestKind(models.TextChoices):
    ACCESS = "ACCESS", _("Access (a copy of the person's data)")
    PORTABILITY = "PORTABILITY", _("Portability (the data in a machine-readable form)")
    ERASURE = "ERASURE", _("Erasure")


class RequestStatus(models.TextChoices):
    RECEIVED = "RECEIVED", _("Received")
    IN_PROGRESS = "IN_PROGRESS", _("In progress")
    COMPLETED = "COMPLETED", _("Completed")
    REJECTED = "REJECTED", _("Rejected")


OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)


@shared_model(personal_data=True)
class DataSubjectRequest(models.Model):
    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="+")
    # The cell that received it; it concerns the group's business units homed there.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=RequestKind.choices)
    identifier_type = models.CharField(max_length=5, choices=IdentifierType.choices)
    # Normalized (lower-case e-mail, +digits phone); emptied when an erasure is done.
    identifier = models.CharField(max_length=254, blank=True, default="")
    identifier_salt = models.CharField(max_length=32)
    identifier_hash = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    deadline = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    note = models.CharField(max_length=1000, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=1000, blank=True, default="")
    # What was done, without personal data: [{"business_unit": "acme.de", "record_type":
    # "contact", "count": 1}, ...]
    result = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["group", "region", "-received_at"], name="dsr_group_received"),
            models.Index(
                fields=["group", "region", "deadline"],
                name="dsr_open_deadline",
                condition=Q(status__in=["RECEIVED", "IN_PROGRESS"]),
            ),
            models.Index(fields=["identifier_hash"], name="dsr_identifier_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} request {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def overdue(self) -> bool:
        return self.is_open and timezone.now() > self.deadline


@shared_model(personal_data=True)
class SubjectExport(models.Model):
    """The JSON document an access or portability request produced, downloadable until
    `expires_at` (then deleted by the daily retention task)."""

    request = models.OneToOneField(
        DataSubjectRequest, on_delete=models.CASCADE, related_name="export"
    )
    document = models.JSONField()
    records = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export of request {self.request_id}"


@shared_model(personal_data=False)
class ErasureRecord(models.Model):
    """What one erasure (request or retention run) did in one business unit: counts and ids."""

    request = models.ForeignKey(
        DataSubjectRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="erasures"
    )
    run = models.ForeignKey(
        "privacy.RetentionRun",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="erasures",
    )
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit", on_delete=models.CASCADE, related_name="+"
    )
    counts = models.JSONField(default=dict)
    contact_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    lead_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    activity_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    # Quote-to-cash documents whose personal texts were erased: {"quote": [3, 7], ...}.
    document_ids = models.JSONField(default=dict, blank=True)
    # Texts kept under a legal hold: [{"record_type": "invoice", "legal_hold": "TAX_RECORD",
    # "count": 1}, ...] (see crm.tenants.personaldata.documents).
    held = models.JSONField(default=list, blank=True)
    webhook_deliveries = ArrayField(models.BigIntegerField(), default=list, blank=True)
    erased_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["erased_at", "id"]

    def __str__(self) -> str:
        return f"erasure in {self.business_unit_id}"


@shared_model(personal_data=False)
class RetentionPolicy(models.Model):
    """How long the group keeps a kind of record in this region before anonymizing it."""

    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(max_length=20, choices=RetentionRecordType.choices)
    months = models.PositiveSmallIntegerField()
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["group", "region", "record_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "region", "record_type"], name="retention_policy_unique"
            ),
            models.CheckConstraint(condition=Q(months__gte=1), name="retention_months_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type}: {self.months} months"


@shared_model(personal_data=False)
class RetentionRun(models.Model):
    """One application of a group's policies in this cell (or a dry run: what it would do)."""

    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    dry_run = models.BooleanField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    triggered_by = models.CharField(max_length=200, blank=True, default="")
    # [{"business_unit": "acme.de", "record_type": "UNCONVERTED_LEAD", "months": 12,
    #   "cutoff": "...", "contacts": 0, "leads": 3, "activities": 5, "documents": 0}, ...]
    report = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["group", "region", "-started_at"], name="retention_runs")]

    def __str__(self) -> str:
        return f"retention run {self.pk}"
