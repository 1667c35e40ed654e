"""Import and export jobs: the file, the progress, the outcome counts and the rejected rows.

A job is group data in the shared schema of the group's home cell. Master-data files hold
company-level data only (no personal data), like the records they describe.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import shared_model


class Direction(models.TextChoices):
    IMPORT = "IMPORT", _("import")
    EXPORT = "EXPORT", _("export")


class Kind(models.TextChoices):
    CUSTOMERS = "CUSTOMERS", _("customers")
    MATERIALS = "MATERIALS", _("materials")
    PRICE_LISTS = "PRICE_LISTS", _("price list items")


class FileFormat(models.TextChoices):
    CSV = "CSV", "CSV"
    XLSX = "XLSX", "XLSX"


class JobStatus(models.TextChoices):
    QUEUED = "QUEUED", _("queued")
    RUNNING = "RUNNING", _("running")
    SUCCEEDED = "SUCCEEDED", _("succeeded")
    FAILED = "FAILED", _("failed")


@shared_model(personal_data=False)
class TransferJob(models.Model):
    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="+")
    # The business unit the job was started in: the worker acts there, as the starter.
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(max_length=6, choices=Direction.choices)
    kind = models.CharField(max_length=11, choices=Kind.choices)
    format = models.CharField(max_length=4, choices=FileFormat.choices)
    file_name = models.CharField(max_length=200)
    # SHA-256 of the uploaded file (imports): the same file twice is recognisable.
    digest = models.CharField(max_length=64, blank=True, default="")
    # Export filter, as given (country, status…); empty for imports.
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=9, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # Why the whole job failed (a bad header, a refused actor): code and parameters.
    error = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["group", "-created_at"], name="transfer_job_recent")]
        constraints = [
            models.CheckConstraint(
                name="transfer_job_has_actor",
                condition=Q(created_by__isnull=False) | Q(api_key__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class FileRole(models.TextChoices):
    SOURCE = "SOURCE", _("uploaded file")
    RESULT = "RESULT", _("exported file")


@shared_model(personal_data=False)
class TransferFile(models.Model):
    """The bytes of a job's file, kept apart so that listing jobs never reads them."""

    job = models.ForeignKey(TransferJob, on_delete=models.CASCADE, related_name="files")
    role = models.CharField(max_length=6, choices=FileRole.choices)
    content = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "role"], name="one_file_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} {self.role}"


@shared_model(personal_data=False)
class RowError(models.Model):
    """One refused row of an import: its number in the file, the column and the typed error."""

    job = models.ForeignKey(TransferJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(help_text=_("Line in the file; the header is line 1."))
    column = models.CharField(max_length=60, blank=True, default="")
    code = models.CharField(max_length=40)
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["job", "row", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row"], name="one_error_per_row"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} row {self.row}: {self.code}"

    @property
    def message(self) -> str:
        """The refusal's message in the active language."""
        from crm.platform.core.errors import CrmError, ErrorCode

        params = dict(self.params)
        field = params.pop("field", "") or None
        return CrmError(ErrorCode(self.code), field=field, **params).message
