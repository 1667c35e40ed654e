"""What HQ defines once for every business unit of the group (shared schema, no personal data).

- Lead sources (channels: trade fair, website, distributor…), translated, so that every BU's
  leads count per source in one list and HQ can compare channels group-wide.
- Pipeline templates: the group's sales process as ordered stages with their default win
  probability and entry conditions; each BU localizes a template into its own pipeline
  (`crm.tenants.opportunities.Pipeline`), translating names and adding stages it needs.
- The win-probability scorecard: criteria with weights, and bands mapping a score to a
  probability, so that "70 %" means the same thing in Munich and in Osaka.
- Close reasons: why deals are won or lost, translated.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import shared_model


class StageKind(models.TextChoices):
    OPEN = "OPEN", _("Open")
    WON = "WON", _("Won")
    LOST = "LOST", _("Lost")


@shared_model(personal_data=False)
class LeadSource(models.Model):
    """A channel leads come from (e.g. TRADE_FAIR, WEBSITE); names translated."""

    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["group", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="lead_source_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


@shared_model(personal_data=False)
class PipelineTemplate(models.Model):
    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["group", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="pipeline_template_unique"),
        ]

    def __str__(self) -> str:
        return self.code


@shared_model(personal_data=False)
class StageTemplate(models.Model):
    """A stage of the group's process, with the conditions a deal must meet to enter it."""

    template = models.ForeignKey(PipelineTemplate, on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=4, choices=StageKind.choices, default=StageKind.OPEN)
    probability = models.PositiveSmallIntegerField(help_text=_("Default win probability, %."))
    # Entry conditions: opportunity fields (built-in or custom field codes) that must be set,
    # activity kinds that must have been logged on the deal, and whether an approval is needed.
    required_fields = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    required_activities = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    requires_approval = models.BooleanField(default=False)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="stage_template_unique"),
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="stage_template_probability"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id}:{self.code}"


@shared_model(personal_data=False)
class ScoreCriterion(models.Model):
    """One criterion of the win scorecard (e.g. BUDGET_CONFIRMED), rated 0..max_rating."""

    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    weight = models.PositiveSmallIntegerField()
    max_rating = models.PositiveSmallIntegerField(default=5)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["group", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="score_criterion_unique"),
            models.CheckConstraint(
                condition=models.Q(max_rating__gte=1), name="score_criterion_max_rating"
            ),
        ]

    def __str__(self) -> str:
        return self.code


@shared_model(personal_data=False)
class ProbabilityBand(models.Model):
    """From `min_score` (0–100) upward, a deal's win probability is `probability` %."""

    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="+")
    min_score = models.PositiveSmallIntegerField()
    probability = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["group", "min_score"]
        constraints = [
            models.UniqueConstraint(fields=["group", "min_score"], name="probability_band_unique"),
            models.CheckConstraint(
                condition=models.Q(min_score__lte=100, probability__lte=100),
                name="probability_band_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.min_score}+ -> {self.probability}%"


@shared_model(personal_data=False)
class CloseReason(models.Model):
    """Why deals are won or lost (e.g. PRICE, COMPETITOR), translated."""

    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(
        max_length=4, choices=[(StageKind.WON, "Won"), (StageKind.LOST, "Lost")]
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["group", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "kind", "code"], name="close_reason_unique"),
        ]

    def __str__(self) -> str:
        return self.code
