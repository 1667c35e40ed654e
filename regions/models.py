"""A region is a cell: one deployment with its own database, broker, workers and endpoint."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import shared_model


class Jurisdiction(models.TextChoices):
    GDPR = "GDPR", _("EU General Data Protection Regulation")
    PIPL = "PIPL", _("China Personal Information Protection Law")
    APPI = "APPI", _("Japan Act on the Protection of Personal Information")
    CCPA = "CCPA", _("California Consumer Privacy Act")


@shared_model(personal_data=False)
class Region(models.Model):
    code = models.SlugField(primary_key=True, max_length=16)
    name = models.CharField(max_length=100)
    jurisdiction = models.CharField(max_length=8, choices=Jurisdiction.choices)
    api_endpoint = models.URLField(help_text=_("Public GraphQL endpoint of this region's cell."))

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class MoveStep(models.TextChoices):
    """The steps of moving a business unit to another region, in order."""

    FREEZE = "FREEZE", _("refuse writes")
    EXPORT = "EXPORT", _("export the schema and the personal shared rows")
    IMPORT = "IMPORT", _("import into the target cell")
    VERIFY = "VERIFY", _("compare row counts and checksums")
    SWITCH = "SWITCH", _("switch the directory to the target region")
    PURGE = "PURGE", _("delete the data in the source cell")
    UNFREEZE = "UNFREEZE", _("accept writes again")
    DONE = "DONE", _("done")


MOVE_STEPS: tuple[MoveStep, ...] = tuple(MoveStep)


class MoveStatus(models.TextChoices):
    SCHEDULED = "SCHEDULED", _("scheduled")
    RUNNING = "RUNNING", _("running")
    FAILED = "FAILED", _("failed; resume it")
    DONE = "DONE", _("done")
    CANCELLED = "CANCELLED", _("cancelled")


OPEN_MOVE_STATUSES = (MoveStatus.SCHEDULED, MoveStatus.RUNNING, MoveStatus.FAILED)


@shared_model(personal_data=False)
class RegionMove(models.Model):
    """Moving one business unit's data from its home region's cell to another region's.

    Kept in the source cell, which holds the data and runs the steps (crm.regions.moves). The
    record stays after the move as its audit trail: each step's timing and outcome are in `log`
    (counts and table names, never personal data).
    """

    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="+")
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit", on_delete=models.PROTECT, related_name="region_moves"
    )
    source_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    target_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField(help_text=_("Not started before this time."))
    status = models.CharField(
        max_length=10, choices=MoveStatus.choices, default=MoveStatus.SCHEDULED
    )
    step = models.CharField(
        max_length=10,
        choices=MoveStep.choices,
        default=MoveStep.FREEZE,
        help_text=_("The next step to run (DONE when finished)."),
    )
    # While set, the business unit refuses writes (GraphQL mutations) in this cell.
    frozen = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # [{"step", "attempt", "started_at", "seconds", "outcome", "detail"}]
    log = models.JSONField(default=list, blank=True)
    # {"step", "message"} of the last failure; empty once the move goes on.
    error = models.JSONField(default=dict, blank=True)
    # The export (a file in the source cell, deleted by PURGE) and its row counts and checksums.
    export_file = models.CharField(max_length=500, blank=True, default="")
    manifest = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_unit"],
                condition=models.Q(status__in=["SCHEDULED", "RUNNING", "FAILED"]),
                name="one_open_move_per_business_unit",
            ),
        ]
        indexes = [
            models.Index(
                fields=["business_unit"],
                condition=models.Q(frozen=True),
                name="region_move_frozen",
            ),
            models.Index(
                fields=["scheduled_at"],
                condition=models.Q(status="SCHEDULED"),
                name="region_move_due",
            ),
        ]

    def __str__(self) -> str:
        route = f"{self.source_region_id}→{self.target_region_id}"
        return f"move {self.pk}: business unit {self.business_unit_id} {route}"
