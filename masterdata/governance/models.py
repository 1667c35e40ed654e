"""Change requests: a business unit proposes changes to a golden record; HQ stewards decide.

The request keeps the values the record had when it was filed (`base`), so a steward deciding
later sees what changed meanwhile (a conflict) instead of silently overwriting it.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import shared_model


class RequestKind(models.TextChoices):
    UPDATE = "UPDATE", _("change an existing customer")
    CREATE = "CREATE", _("create a new customer")


class RequestStatus(models.TextChoices):
    PENDING = "PENDING", _("pending")
    APPROVED = "APPROVED", _("approved")
    REJECTED = "REJECTED", _("rejected")


@shared_model(personal_data=False)
class ChangeRequest(models.Model):
    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="+")
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=6, choices=RequestKind.choices, default=RequestKind.UPDATE)
    # UPDATE: the record to change. CREATE: none until approved, then the record created.
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    proposed = models.JSONField(help_text=_("Field -> proposed value."))
    base = models.JSONField(help_text=_("Field -> value when the request was filed."))
    reason = models.CharField(max_length=500)
    status = models.CharField(
        max_length=8, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    filed_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True, default="")
    applied = models.JSONField(default=dict, blank=True, help_text=_("What was written."))

    class Meta:
        ordering = ["group", "-filed_at"]
        constraints = [
            models.CheckConstraint(
                name="decided_requests_have_a_decider",
                condition=Q(status="PENDING") | Q(decided_at__isnull=False),
            ),
            models.CheckConstraint(
                name="change_requests_name_their_customer",
                condition=Q(kind="UPDATE", customer__isnull=False)
                | Q(kind="CREATE", status="APPROVED", customer__isnull=False)
                | (Q(kind="CREATE", customer__isnull=True) & ~Q(status="APPROVED")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.kind} {self.status} {self.customer_id}"


class MergeStatus(models.TextChoices):
    REDIRECTING = "REDIRECTING", _("redirecting business units' references")
    DONE = "DONE", _("done")


@shared_model(personal_data=False)
class CustomerMerge(models.Model):
    """Records merged into a survivor; BUs of this cell whose references still need redirecting.

    The golden side happens in one transaction; each BU's schema is then redirected by its own
    task. A merge whose tasks were lost resumes (`resume_merges`) until no BU is pending.
    """

    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="+")
    survivor = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="merges"
    )
    merged_ids = ArrayField(models.BigIntegerField())
    reason = models.CharField(max_length=500)
    performed_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    performed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=12, choices=MergeStatus.choices, default=MergeStatus.REDIRECTING
    )
    pending_business_units = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        ordering = ["group", "-performed_at"]

    def __str__(self) -> str:
        return f"{self.merged_ids} -> {self.survivor_id}"
