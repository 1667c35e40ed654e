"""Deals of the business unit: its pipelines (localized from the group's templates), the deals,
their account team, products of interest, win scorecard and the trail of stage and score moves.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.masterdata.sales.models import StageKind
from crm.platform.core.money import CurrencyCodeField, amount_field
from crm.platform.core.placement import tenant_model


@tenant_model(personal_data=False)
class Pipeline(models.Model):
    """The BU's version of a group pipeline template (or one of its own)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    template_id = models.BigIntegerField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_pipeline",
            ),
        ]

    def __str__(self) -> str:
        return self.code


@tenant_model(personal_data=False)
class Stage(models.Model):
    """A stage of a BU pipeline: from the template (`template_stage_id`) or the BU's own extra."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=4, choices=StageKind.choices, default=StageKind.OPEN)
    probability = models.PositiveSmallIntegerField()
    template_stage_id = models.BigIntegerField(null=True, blank=True)
    required_fields = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    required_activities = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    requires_approval = models.BooleanField(default=False)

    class Meta:
        ordering = ["pipeline", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "code"], name="stage_code_unique"),
            models.UniqueConstraint(fields=["pipeline", "position"], name="stage_position_unique"),
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="stage_prob"),
        ]

    def __str__(self) -> str:
        return self.code


class DealClass(models.TextChoices):
    NEW_BUSINESS = "NEW_BUSINESS", _("New business")
    EXPANSION = "EXPANSION", _("Expansion")
    RENEWAL = "RENEWAL", _("Renewal or repeat order")
    PROJECT = "PROJECT", _("Project or tender")


class DealGrade(models.TextChoices):
    A = "A", _("A: strategic")
    B = "B", _("B: important")
    C = "C", _("C: standard")


@tenant_model(personal_data=False)
class Opportunity(models.Model):
    name = models.CharField(max_length=300)
    account = models.ForeignKey(
        "localcustomers.LocalCustomer", on_delete=models.PROTECT, related_name="opportunities"
    )
    primary_contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="opportunities")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities")
    # The stage's code and kind, kept on the deal for the policy (stage-based rules) and filters.
    stage_code = models.SlugField(max_length=40)
    status = models.CharField(max_length=4, choices=StageKind.choices, default=StageKind.OPEN)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    deal_class = models.CharField(max_length=20, choices=DealClass.choices, blank=True, default="")
    grade = models.CharField(max_length=1, choices=DealGrade.choices, blank=True, default="")

    amount = amount_field(null=True, blank=True)
    currency = CurrencyCodeField()
    # The amount in the BU's and the group's currency at the rate of `expected_close` (or, once
    # closed, of the close date): kept so lists and totals need no conversion; refreshed when
    # the amount, currency or date changes, and by the FX refresh when that day's rate changes.
    amount_bu = amount_field(null=True, blank=True)
    amount_group = amount_field(null=True, blank=True)
    fx_date = models.DateField(null=True, blank=True)
    # The rates used (deal currency -> BU / group currency) and each rate's own date, which may
    # be earlier than `fx_date` (the latest rate on or before it); null when no rate was found.
    fx_rate_bu = models.DecimalField(max_digits=28, decimal_places=12, null=True, blank=True)
    fx_rate_bu_date = models.DateField(null=True, blank=True)
    fx_rate_group = models.DecimalField(max_digits=28, decimal_places=12, null=True, blank=True)
    fx_rate_group_date = models.DateField(null=True, blank=True)
    expected_close = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    close_reason_id = models.BigIntegerField(null=True, blank=True)
    close_note = models.CharField(max_length=1000, blank=True, default="")

    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0–100")
    probability = models.PositiveSmallIntegerField(help_text="%")

    lead_id = models.BigIntegerField(null=True, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    stage_entered_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["account", "status"], name="opportunity_account"),
            models.Index(fields=["owner", "status"], name="opportunity_owner"),
            models.Index(fields=["status", "expected_close"], name="opportunity_close"),
            models.Index(fields=["pipeline", "stage"], name="opportunity_stage"),
            # The default list order (newest first), paged by keyset.
            models.Index(fields=["-created_at", "id"], name="opportunity_newest_first"),
            GinIndex(fields=["custom"], name="opportunity_custom", opclasses=["jsonb_path_ops"]),
        ]

    def __str__(self) -> str:
        return self.name


@tenant_model(personal_data=False)
class OpportunityProduct(models.Model):
    """A material of interest (golden id), with the quantity the customer talks about."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="products")
    material_id = models.BigIntegerField()
    quantity = models.DecimalField(max_digits=14, decimal_places=3, default=1)

    class Meta:
        ordering = ["opportunity", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "material_id"], name="opportunity_product_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}:{self.material_id}"


class TeamRole(models.TextChoices):
    """The "iron triangle" and the others around a deal."""

    ACCOUNT_MANAGER = "ACCOUNT_MANAGER", _("Account manager")
    SOLUTION_EXPERT = "SOLUTION_EXPERT", _("Solution expert")
    DELIVERY_LEAD = "DELIVERY_LEAD", _("Delivery lead")
    LEGAL = "LEGAL", _("Legal counsel")
    FINANCE = "FINANCE", _("Finance")
    EXECUTIVE_SPONSOR = "EXECUTIVE_SPONSOR", _("Executive sponsor")


@tenant_model(personal_data=False)
class DealTeamMember(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=TeamRole.choices)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["opportunity", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "user", "role"], name="deal_team_member_unique"
            ),
        ]
        indexes = [models.Index(fields=["user", "opportunity"], name="deal_team_user")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}:{self.user_id}:{self.role}"


@tenant_model(personal_data=False)
class ScoreAnswer(models.Model):
    """A deal's rating on one scorecard criterion (golden id), 0..the criterion's max."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="answers")
    criterion_id = models.BigIntegerField()
    rating = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["opportunity", "criterion_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "criterion_id"], name="score_answer_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}:{self.criterion_id}={self.rating}"


@tenant_model(personal_data=False)
class OpportunityEvent(models.Model):
    """The trail of a deal: stage moves, score moves, approvals, team changes, closing."""

    class Kind(models.TextChoices):
        CREATED = "CREATED", _("Created")
        STAGE = "STAGE", _("Stage changed")
        SCORE = "SCORE", _("Score changed")
        APPROVAL = "APPROVAL", _("Stage approved")
        TEAM = "TEAM", _("Team changed")
        CLOSED = "CLOSED", _("Closed")
        REOPENED = "REOPENED", _("Reopened")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_stage = models.CharField(max_length=40, blank=True, default="")
    to_stage = models.CharField(max_length=40, blank=True, default="")
    from_score = models.PositiveSmallIntegerField(null=True, blank=True)
    to_score = models.PositiveSmallIntegerField(null=True, blank=True)
    from_probability = models.PositiveSmallIntegerField(null=True, blank=True)
    to_probability = models.PositiveSmallIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=200, blank=True, default="")
    reason = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["opportunity", "at", "id"]
        indexes = [
            models.Index(fields=["kind", "at"], name="opportunity_event_kind"),
            # The sales funnel reads every deal's moves in deal order, from the index alone
            # (crm.tenants.performance.funnel).
            models.Index(
                fields=["opportunity", "at"],
                include=["to_stage"],
                condition=models.Q(kind__in=["STAGE", "CLOSED", "REOPENED"]),
                name="opportunity_event_moves",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}:{self.kind}"


@tenant_model(personal_data=False)
class StageApproval(models.Model):
    """An approval for a deal to enter a stage that requires one; used once, by that move."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="approvals")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["opportunity", "at"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "stage"], name="stage_approval_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}:{self.stage_id}"
