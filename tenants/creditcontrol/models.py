"""Orders held by credit control, and finance's releases of them.

A `CreditHold` is an order whose confirmation credit control refused: over the customer's credit
limit, or the group-wide exposure could not be computed (a cell did not answer). It is written
after the refused confirmation rolled back, so it stays; further refused attempts update it (the
latest figures, how many attempts). It is WAITING for finance until finance releases it
(RELEASED) or a later confirmation passes the check on its own (CLEARED: the customer paid, the
limit was raised). An order has at most one waiting hold.

A `CreditRelease` is finance's decision on one hold: the order may be confirmed for the amount
released (its total in the group currency then), whatever the exposure or an unreachable cell
says; if the order's total grows beyond it, the check runs again. It keeps the figures finance
saw (exposure, limit, the cells that did not answer), who released it, when and why, and when
the confirmation used it. Neither is ever deleted: together they are the audit trail of credit
decisions. Amounts are in the group currency, the currency of the golden customer's limit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.money import CurrencyCodeField, amount_field
from crm.platform.core.placement import tenant_model


class HoldStatus(models.TextChoices):
    WAITING = "WAITING", _("Waiting for finance")
    RELEASED = "RELEASED", _("Released by finance")
    CLEARED = "CLEARED", _("Cleared by a later check")


class HoldReason(models.TextChoices):
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED", _("Over the credit limit")
    CHECK_UNAVAILABLE = "CHECK_UNAVAILABLE", _("Exposure could not be computed")


class CreditFigures(models.Model):
    """Abstract: what a credit decision was based on, in the group currency."""

    customer_id = models.BigIntegerField(help_text=_("Golden customer (shared schema) id."))
    customer_code = models.CharField(max_length=20)
    currency = CurrencyCodeField()
    # The order's total in the group currency.
    amount = amount_field()
    # The customer's exposure before this order, summed over the cells that answered.
    exposure = amount_field(null=True, blank=True)
    credit_limit = amount_field(null=True, blank=True)
    # The cells that did not answer: [{"region": "ap", "status": "UNREACHABLE", "detail": ...}].
    missing_cells = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True

    @property
    def complete(self) -> bool:
        return not self.missing_cells

    @property
    def missing_regions(self) -> list[str]:
        return [str(cell["region"]) for cell in self.missing_cells]


@tenant_model(personal_data=False)
class CreditHold(CreditFigures):
    order = models.ForeignKey("ledger.Order", on_delete=models.PROTECT, related_name="credit_holds")
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.WAITING)
    reason = models.CharField(max_length=20, choices=HoldReason.choices)
    attempts = models.PositiveIntegerField(default=1)
    first_blocked_at = models.DateTimeField(default=timezone.now)
    last_blocked_at = models.DateTimeField(default=timezone.now)
    # Who tried to confirm last (a user, or an API key: its label only).
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    blocked_by_label = models.CharField(max_length=200, blank=True, default="")
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_blocked_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status="WAITING"),
                name="credit_hold_one_waiting_per_order",
            ),
            models.CheckConstraint(condition=models.Q(attempts__gte=1), name="credit_hold_tries"),
        ]
        indexes = [
            models.Index(fields=["status", "-last_blocked_at"], name="credit_hold_status"),
            models.Index(fields=["customer_id"], name="credit_hold_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.status}"


@tenant_model(personal_data=False)
class CreditRelease(CreditFigures):
    hold = models.OneToOneField(CreditHold, on_delete=models.PROTECT, related_name="release")
    order = models.ForeignKey(
        "ledger.Order", on_delete=models.PROTECT, related_name="credit_releases"
    )
    comment = models.CharField(max_length=1000)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_by_label = models.CharField(max_length=200)
    released_at = models.DateTimeField(default=timezone.now)
    # When the order's confirmation passed on this release (it is used once).
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-released_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="credit_release_amount"),
        ]
        indexes = [
            models.Index(
                fields=["order"],
                name="credit_release_unused",
                condition=models.Q(used_at__isnull=True),
            ),
            models.Index(fields=["customer_id"], name="credit_release_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.amount} {self.currency}"
