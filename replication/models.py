"""The replication's own bookkeeping, in the shared schema of every cell.

Home cell: the outbox (captured row changes of the groups homed here, written by database
triggers in the writing transaction), the version counter per group (`Stream`), and per target
cell what it has acknowledged (`Delivery`). Replica cell: per group and source what has been
applied (`ReplicaState`) and the lag of recent entries (`LagSample`). Both: refused batches
(`Incident`), visible to group administrators.

Group ids are plain integers, not foreign keys: ids are the same in every cell (rows travel by
primary key), and a replica receives a group's first batch before it knows the group.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import shared_model


class Op(models.TextChoices):
    UPSERT = "upsert", _("insert or update")
    DELETE = "delete", _("delete")


@shared_model(personal_data=False)
class OutboxEntry(models.Model):
    """One captured row change of a replicated table (only rows of groups homed here)."""

    id = models.BigAutoField(primary_key=True)
    group_id = models.BigIntegerField()
    model = models.CharField(max_length=100, help_text=_("app_label.modelname"))
    object_pk = models.CharField(max_length=100)
    op = models.CharField(max_length=6, choices=Op.choices)
    data = models.JSONField(help_text=_("The whole row, as the table holds it."))
    # The writing transaction (pg_current_xact_id): versions are given only once it is over.
    xid = models.BigIntegerField()
    created_at = models.DateTimeField()
    # Gapless per group, in outbox order; null until the sequencer gets to it.
    version = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group_id", "version"],
                condition=Q(version__isnull=False),
                name="outbox_one_entry_per_version",
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(version__isnull=True), name="outbox_unsequenced"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}@{self.version}: {self.op} {self.model} {self.object_pk}"


@shared_model(personal_data=False)
class Stream(models.Model):
    """A group's change stream in its home cell: the last version given out."""

    group_id = models.BigIntegerField(primary_key=True)
    last_version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.group_id}: {self.last_version}"


@shared_model(personal_data=False)
class Delivery(models.Model):
    """How far one target cell has acknowledged one group's stream (home cell)."""

    group_id = models.BigIntegerField()
    target = models.CharField(max_length=16, help_text=_("Region code of the target cell."))
    acknowledged_version = models.BigIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    # What the target reported with its last answer, in microseconds.
    last_lag_us = models.BigIntegerField(null=True, blank=True)
    median_lag_us = models.BigIntegerField(null=True, blank=True)
    worst_lag_us = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group_id", "target"], name="one_delivery_per_target"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}->{self.target}: {self.acknowledged_version}"


@shared_model(personal_data=False)
class ReplicaState(models.Model):
    """What this cell has applied of one group's stream from its home cell (replica)."""

    group_id = models.BigIntegerField()
    source = models.CharField(max_length=16, help_text=_("Region code of the home cell."))
    applied_version = models.BigIntegerField(default=0)
    applied_at = models.DateTimeField(null=True, blank=True)
    last_lag_us = models.BigIntegerField(null=True, blank=True)
    batches = models.BigIntegerField(default=0)
    duplicates = models.BigIntegerField(default=0)
    gaps = models.BigIntegerField(default=0)
    # A BU of this region arrived without a schema: provision once the stream is caught up.
    provision_pending = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group_id", "source"], name="one_state_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}<-{self.source}: {self.applied_version}"


@shared_model(personal_data=False)
class LagSample(models.Model):
    """Applied time minus the home cell's capture time of one entry (rolling window)."""

    group_id = models.BigIntegerField()
    source = models.CharField(max_length=16)
    version = models.BigIntegerField()
    lag_us = models.BigIntegerField()
    applied_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["group_id", "source", "version"], name="lag_by_version"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}<-{self.source}@{self.version}: {self.lag_us} us"


class IncidentKind(models.TextChoices):
    BAD_SIGNATURE = "BAD_SIGNATURE", _("signature refused")
    MALFORMED = "MALFORMED", _("malformed batch")
    WRONG_SOURCE = "WRONG_SOURCE", _("batch from a cell that is not the group's home")
    APPLY_FAILED = "APPLY_FAILED", _("batch could not be applied")
    PROVISIONING_FAILED = "PROVISIONING_FAILED", _("business unit schema not provisioned")


@shared_model(personal_data=False)
class Incident(models.Model):
    """A batch this cell refused or failed to apply; nothing of it was changed.

    `remote_address` is a server's address (cells call each other), not a person's.
    """

    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=IncidentKind.choices)
    source = models.CharField(max_length=16, blank=True, default="")
    group_id = models.BigIntegerField(null=True, blank=True)
    key_id = models.CharField(max_length=64, blank=True, default="")
    reason = models.CharField(max_length=500)
    remote_address = models.CharField(max_length=60, blank=True, default="")
    body_sha256 = models.CharField(max_length=64, blank=True, default="")
    first_version = models.BigIntegerField(null=True, blank=True)
    last_version = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["group_id", "-at"], name="incident_by_group")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}: {self.reason}"
