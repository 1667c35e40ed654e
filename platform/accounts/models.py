"""Who acts: users of a group, their roles per business unit, teams, and API keys.

A membership gives a user one role either in one business unit or, with no business unit, at
group level (HQ). Roles are data per group, created from a default set. Teams live inside one
business unit and form a hierarchy; a team's manager sees the records of the team and below.
API keys act for integrators: bound to a group (and optionally a BU) with one role.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import shared_model


@shared_model(personal_data=True)
class User(AbstractUser):
    group = models.ForeignKey(
        "tenants.Group", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    # Empty means "no preference": Accept-Language, then the business unit decide.
    language = models.CharField(max_length=10, blank=True, default="")


@shared_model(personal_data=False)
class Role(models.Model):
    """A role of one group, e.g. `front_sales`; its name is translated."""

    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="roles")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["group", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="role_code_unique_in_group"),
        ]

    def __str__(self) -> str:
        return self.code


@shared_model(personal_data=False)
class Membership(models.Model):
    """A user holds a role in one business unit, or at group level when `business_unit` is null."""

    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships")
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "business_unit"], name="membership_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(business_unit__isnull=True),
                name="group_membership_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role_id}@{self.business_unit_id or 'group'}"


@shared_model(personal_data=False)
class Team(models.Model):
    """A sales team inside one business unit; teams nest under a parent team."""

    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="+")
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit", on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    manager = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )
    members = models.ManyToManyField(User, blank=True, related_name="teams")

    class Meta:
        ordering = ["business_unit", "name"]
        constraints = [
            models.UniqueConstraint(fields=["business_unit", "name"], name="team_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


TOKEN_PREFIX = "crm"  # noqa: S105 (a label, not a secret)


API_KEY_KIND = "k"
USER_TOKEN_KIND = "u"  # noqa: S105 (a label, not a secret)


def new_secret(kind: str) -> tuple[str, str, str]:
    """A fresh credential: (the token shown once, its public prefix, the digest kept).

    The kind letter (`k` API key, `u` user token) tells which table to look in.
    """
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}_{kind}{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, digest_of(token)


def token_kind(token: str) -> str:
    head, _sep, _rest = token.partition("_")
    kind = _rest[:1]
    return kind if head == TOKEN_PREFIX else ""


def digest_of(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class Credential(models.Model):
    """A bearer token kept only as its SHA-256 digest; revocable; last use recorded."""

    prefix = models.CharField(max_length=8, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@shared_model(personal_data=False)
class ApiKey(Credential):
    """An integrator's key: acts with one role in one group, optionally in one business unit."""

    group = models.ForeignKey("tenants.Group", on_delete=models.CASCADE, related_name="api_keys")
    business_unit = models.ForeignKey(
        "tenants.BusinessUnit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(max_length=100, help_text=_("What the key is for, e.g. “SAP sync”."))
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["group", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


@shared_model(personal_data=True)
class UserToken(Credential):
    """A user's sign-in token: acts as the user with the roles of their memberships."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")

    def __str__(self) -> str:
        return f"{self.user_id} ({self.prefix})"
