"""Targets of a business unit: what a user, a team or the whole BU should win in a period.

A target is set for one subject (a user with a role in the BU, a team of the BU, or the BU
itself), one period (a calendar month, quarter or year, by its first day) and one metric: won
revenue, an amount in the group currency (so that every BU's targets add up at HQ), or the number
of deals won. There is at most one target per subject, period and metric.

Teams live in the shared schema and may be deleted while targets still name them: the team key
is declared without a database constraint (the team's deletion leaves its targets without a
team, and they drop out of the dashboards), but as a foreign key, so that the policy reaches a
team's targets through the team's members (see `access`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.money import CurrencyCodeField, amount_field
from crm.platform.core.placement import tenant_model
from crm.tenants.performance.periods import PeriodKind


class TargetSubject(models.TextChoices):
    USER = "USER", _("User")
    TEAM = "TEAM", _("Team")
    BUSINESS_UNIT = "BUSINESS_UNIT", _("Business unit")


class TargetMetric(models.TextChoices):
    WON_REVENUE = "WON_REVENUE", _("Won revenue")
    WON_DEALS = "WON_DEALS", _("Won deals")


@tenant_model(personal_data=False)
class Target(models.Model):
    subject = models.CharField(max_length=16, choices=TargetSubject.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    period = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    metric = models.CharField(max_length=16, choices=TargetMetric.choices)
    # WON_REVENUE: the amount in `currency`, the group currency; WON_DEALS: `deal_count`.
    amount = amount_field(null=True, blank=True)
    currency = CurrencyCodeField(blank=True, default="")
    deal_count = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True, default="")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["period_start", "period", "subject", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(subject=TargetSubject.USER, user__isnull=False, team__isnull=True)
                    | Q(subject=TargetSubject.TEAM, user__isnull=True, team__isnull=False)
                    | Q(subject=TargetSubject.BUSINESS_UNIT, user__isnull=True, team__isnull=True)
                ),
                name="target_subject",
            ),
            models.CheckConstraint(
                condition=(
                    Q(metric=TargetMetric.WON_REVENUE, amount__gte=0, deal_count__isnull=True)
                    | Q(
                        metric=TargetMetric.WON_DEALS, amount__isnull=True, deal_count__isnull=False
                    )
                ),
                name="target_value",
            ),
            models.UniqueConstraint(
                fields=["user", "period", "period_start", "metric"],
                condition=Q(subject=TargetSubject.USER),
                name="target_user_unique",
            ),
            models.UniqueConstraint(
                fields=["team", "period", "period_start", "metric"],
                condition=Q(subject=TargetSubject.TEAM),
                name="target_team_unique",
            ),
            models.UniqueConstraint(
                fields=["period", "period_start", "metric"],
                condition=Q(subject=TargetSubject.BUSINESS_UNIT),
                name="target_business_unit_unique",
            ),
        ]
        indexes = [models.Index(fields=["period", "period_start"], name="target_period")]

    def __str__(self) -> str:
        return f"{self.subject}:{self.user_id or self.team_id or '-'}:{self.period_start}"
