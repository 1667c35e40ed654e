"""Administration types under the policy: the policy, API keys, memberships, the audit log."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from crm.platform.accounts.models import ApiKey, Membership, Team, User
from crm.platform.permissions.models import AuditEntry, PolicyVersion
from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.models import BusinessUnit


def _in_business_unit(business_unit: BusinessUnit) -> Q:
    return Q(business_unit=business_unit)


def _holds(record: Any, business_unit: BusinessUnit) -> bool:
    return bool(record.business_unit_id == business_unit.pk)


def _fields(*names: str, personal: tuple[str, ...] = ()) -> tuple[GovernedField, ...]:
    return tuple(GovernedField(name, personal=name in personal) for name in names)


POLICY = register(
    ObjectType(
        name="policy",
        model=PolicyVersion,
        graphql_type="PolicyVersion",
        fields=_fields("number", "active", "note", "created_at", "rules"),
    )
)
API_KEY = register(
    ObjectType(
        name="api_key",
        model=ApiKey,
        graphql_type="ApiKey",
        fields=_fields(
            "name", "prefix", "role", "business_unit", "created_at", "last_used_at", "revoked_at"
        ),
        business_unit_filter=_in_business_unit,
        business_unit_holds=_holds,
    )
)
MEMBERSHIP = register(
    ObjectType(
        name="membership",
        model=Membership,
        graphql_type="Membership",
        fields=_fields("user", "role", "business_unit", personal=("user",)),
        business_unit_filter=_in_business_unit,
        business_unit_holds=_holds,
    )
)


def _user_in_business_unit(business_unit: BusinessUnit) -> Q:
    held = Membership.objects.filter(user=OuterRef("pk"), business_unit=business_unit)
    return Q(Exists(held))


def _user_holds(record: Any, business_unit: BusinessUnit) -> bool:
    # Listing queries prefetch memberships, so this reads memory, not the database.
    return any(m.business_unit_id == business_unit.pk for m in record.memberships.all())


USER = register(
    ObjectType(
        name="user",
        model=User,
        graphql_type="User",
        fields=_fields(
            "username",
            "email",
            "first_name",
            "last_name",
            "language",
            "is_active",
            "memberships",
            personal=("email", "first_name", "last_name"),
        ),
        business_unit_filter=_user_in_business_unit,
        business_unit_holds=_user_holds,
    )
)
TEAM = register(
    ObjectType(
        name="team",
        model=Team,
        graphql_type="Team",
        fields=_fields("name", "parent", "manager", "members"),
        business_unit_filter=_in_business_unit,
        business_unit_holds=_holds,
    )
)
AUDIT_ENTRY = register(
    ObjectType(
        name="audit_entry",
        model=AuditEntry,
        graphql_type="AuditEntry",
        fields=_fields(
            "at",
            "event",
            "actor",
            "business_unit",
            "action",
            "object_type",
            "object_ids",
            "field",
            "code",
            "origin",
            "user_agent",
            personal=("actor", "origin", "user_agent"),
        ),
        business_unit_filter=_in_business_unit,
        business_unit_holds=_holds,
    )
)
