"""Policy versions and their rules, and the audit log of denials and personal-data reads.

A policy version is immutable once written: a change creates the next version for the group and
activates it in the same transaction, so the previous one stays for history and audit.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import shared_model
from crm.platform.permissions.vocabulary import Action, Scope


@shared_model(personal_data=False)
class PolicyVersion(models.Model):
    group = models.ForeignKey(
        "tenants.Group", on_delete=models.CASCADE, related_name="policy_versions"
    )
    number = models.PositiveIntegerField()
    active = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["group", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["group", "number"], name="policy_version_unique"),
            models.UniqueConstraint(
                fields=["group"], condition=Q(active=True), name="one_active_policy_per_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} v{self.number}"

    def succeed(
        self, rules: Iterable[PolicyRule], *, note: str, created_by_id: int | None = None
    ) -> PolicyVersion:
        """The next version, active instead of this one, holding copies of `rules`.

        Call inside a transaction, with this (the active) version locked.
        """
        self.active = False
        self.save(update_fields=["active"])
        version = PolicyVersion.objects.create(
            group_id=self.group_id,
            number=self.number + 1,
            active=True,
            note=note[:500],
            created_by_id=created_by_id,
        )
        PolicyRule.objects.bulk_create(
            PolicyRule(
                version=version,
                object_type=rule.object_type,
                role_id=rule.role_id,
                stage=rule.stage,
                scope=rule.scope,
                actions=rule.actions,
                default_field_mode=rule.default_field_mode,
                field_modes=rule.field_modes,
            )
            for rule in rules
        )
        return version


@shared_model(personal_data=False)
class PolicyRule(models.Model):
    """For one object type, role, stage (empty: every stage) and scope: actions and field modes.

    `field_modes` maps a field to "hidden", "read" or "write"; fields not named there take
    `default_field_mode`.
    """

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="rules")
    object_type = models.CharField(max_length=40)
    role = models.ForeignKey("accounts.Role", on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=40, blank=True, default="")
    scope = models.CharField(max_length=5, choices=Scope.choices)
    actions = ArrayField(models.CharField(max_length=10, choices=Action.choices), default=list)
    default_field_mode = models.CharField(max_length=6, default="read")
    field_modes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["version", "object_type", "role", "stage", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "object_type", "role", "stage", "scope"],
                name="policy_rule_unique",
            ),
            models.CheckConstraint(
                name="policy_rule_default_mode",
                condition=Q(default_field_mode__in=["hidden", "read", "write"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}/{self.role_id}/{self.stage or '*'}/{self.scope}"


class AuditEvent(models.TextChoices):
    DENIED = "DENIED", _("access denied")
    PERSONAL_DATA_READ = "PERSONAL_READ", _("personal data read")
    POLICY_CHANGED = "POLICY_CHANGED", _("policy changed")
    API_KEY_CREATED = "KEY_CREATED", _("API key created")
    API_KEY_REVOKED = "KEY_REVOKED", _("API key revoked")
    ROLE_GRANTED = "ROLE_GRANTED", _("role granted")
    ROLE_REVOKED = "ROLE_REVOKED", _("role revoked")
    REGION_MOVE = "REGION_MOVE", _("business unit moved between regions")


@shared_model(personal_data=True)
class AuditEntry(models.Model):
    """Who did or tried what, on which records, when and from where. Append-only."""

    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="+")
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    event = models.CharField(max_length=16, choices=AuditEvent.choices)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=200, help_text=_("Who, as shown at the time."))
    action = models.CharField(max_length=20, blank=True, default="")
    object_type = models.CharField(max_length=40, blank=True, default="")
    object_ids = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    field = models.CharField(max_length=60, blank=True, default="")
    code = models.CharField(max_length=40, blank=True, default="")
    origin = models.CharField(max_length=60, blank=True, default="", help_text=_("IP or task."))
    user_agent = models.CharField(max_length=300, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["group", "-at"]), models.Index(fields=["event", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.event} {self.actor} {self.action}"
