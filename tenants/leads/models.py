"""The business unit's lead pool: captured leads, campaigns, tagging and assignment rules.

A lead is personal data (a person's name, e-mail, phone) and stays in the BU's schema. It is
captured (web form, integrator, import, by hand), checked against the BU's required fields and
for duplicates, tagged and assigned by rules, worked (contacted, qualified or marked invalid)
and finally converted into a contact, an account and an opportunity in one step.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.money import CurrencyCodeField, amount_field
from crm.platform.core.placement import tenant_model


class LeadStatus(models.TextChoices):
    NEW = "NEW", _("New")
    CONTACTED = "CONTACTED", _("Contacted")
    QUALIFIED = "QUALIFIED", _("Qualified")
    INVALID = "INVALID", _("Invalid")
    CONVERTED = "CONVERTED", _("Converted")


OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)


class InvalidReason(models.TextChoices):
    DUPLICATE = "DUPLICATE", _("Duplicate")
    SPAM = "SPAM", _("Spam or test entry")
    UNREACHABLE = "UNREACHABLE", _("Cannot be reached")
    NO_NEED = "NO_NEED", _("No need or budget")
    COMPETITOR = "COMPETITOR", _("Competitor or job seeker")
    OUT_OF_AREA = "OUT_OF_AREA", _("Outside our market")


@tenant_model(personal_data=False)
class Campaign(models.Model):
    """A marketing campaign of the BU, with its cost (for channel ROI); names translated."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    source_id = models.BigIntegerField(help_text="Lead source (shared schema) id.")
    cost_amount = amount_field(default=0)
    cost_currency = CurrencyCodeField()
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


@tenant_model(personal_data=True)
class Lead(models.Model):
    # Who and which company (personal data: the person's name, e-mail, phone).
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    company_name = models.CharField(max_length=300, blank=True, default="")
    email = models.EmailField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")
    region = models.CharField(
        max_length=100, blank=True, default="", help_text=_("State, province")
    )
    industry = models.CharField(max_length=40, blank=True, default="")
    # Materials (golden ids) the lead asked about; their category is the product line.
    product_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    product_line = models.CharField(max_length=40, blank=True, default="")
    message = models.TextField(blank=True, default="")

    source_id = models.BigIntegerField(null=True, blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)

    status = models.CharField(max_length=10, choices=LeadStatus.choices, default=LeadStatus.NEW)
    invalid_reason = models.CharField(
        max_length=20, choices=InvalidReason.choices, blank=True, default=""
    )
    invalid_note = models.CharField(max_length=500, blank=True, default="")
    overdue = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team_id = models.BigIntegerField(null=True, blank=True)

    # Capture: how it came in; the idempotency key makes a resubmitted form one lead.
    channel = models.CharField(max_length=20, blank=True, default="", help_text="API, FORM, ...")
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    # A digest of what was submitted with the key: the same key with other content is refused.
    capture_digest = models.CharField(max_length=64, blank=True, default="", db_default="")
    # The suspected duplicates found at capture: [{"kind": "LEAD"|"CONTACT"|"CUSTOMER",
    # "id": ..., "reason": ...}]
    duplicates = models.JSONField(default=list, blank=True)

    custom = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    first_contacted_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    # What the conversion made (ids in this schema; the golden customer's in the shared one).
    contact_id = models.BigIntegerField(null=True, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True)
    opportunity_id = models.BigIntegerField(null=True, blank=True)
    change_request_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="lead_status_created"),
            models.Index(fields=["owner", "status"], name="lead_owner_status"),
            # The pool's lists, newest first: the whole BU's and one owner's.
            models.Index(fields=["-created_at", "id"], name="lead_newest"),
            models.Index(fields=["owner", "-created_at", "id"], name="lead_owner_newest"),
            # `search`: the start of a name, the company or the e-mail, without case.
            *(
                models.Index(
                    OpClass(Upper(column), name="text_pattern_ops"), name=f"lead_{column}_prefix"
                )
                for column in ("company_name", "last_name", "first_name", "email")
            ),
            models.Index(fields=["email"], name="lead_email"),
            models.Index(fields=["phone"], name="lead_phone"),
            GinIndex(fields=["custom"], name="lead_custom", opclasses=["jsonb_path_ops"]),
            GinIndex(fields=["tags"], name="lead_tags"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="INVALID") | ~models.Q(invalid_reason=""),
                name="invalid_lead_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"lead {self.pk}"


@tenant_model(personal_data=False)
class TagRule(models.Model):
    """At capture, leads matching `conditions` get `tag` (conditions as in automation rules)."""

    tag = models.CharField(max_length=40)
    conditions = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.tag


@tenant_model(personal_data=False)
class InvalidRule(models.Model):
    """At capture, a lead matching `conditions` (e.g. a throw-away e-mail domain) is kept but
    marked invalid with `reason`; the first active rule by position applies."""

    name = models.CharField(max_length=200)
    conditions = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=20, choices=InvalidReason.choices)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class AssignmentMethod(models.TextChoices):
    USER = "USER", _("To one user")
    ROUND_ROBIN = "ROUND_ROBIN", _("Round robin within the team")
    LEAST_LOADED = "LEAST_LOADED", _("Least open leads within the team")


@tenant_model(personal_data=False)
class AssignmentRule(models.Model):
    """The first active rule (by position) whose conditions a new lead meets assigns it."""

    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    # e.g. [{"field": "country", "op": "in", "value": ["DE", "AT", "CH"]}]
    conditions = models.JSONField(default=list, blank=True)
    method = models.CharField(max_length=12, choices=AssignmentMethod.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team_id = models.BigIntegerField(null=True, blank=True)
    # Round robin: the last user given a lead by this rule.
    last_user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


@tenant_model(personal_data=False)
class LeadAssignment(models.Model):
    """Every (re)assignment of a lead: to whom, from whom, by which rule or person, why."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    from_user_id = models.BigIntegerField(null=True, blank=True)
    to_user_id = models.BigIntegerField(null=True, blank=True)
    rule = models.ForeignKey(
        AssignmentRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_user_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=200, blank=True, default="")
    reason = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["lead", "at", "id"]

    def __str__(self) -> str:
        return f"lead {self.lead_id} -> {self.to_user_id}"
