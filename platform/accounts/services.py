"""Administering access: API keys and memberships, asked of the policy engine like any write."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crm.platform.accounts.models import API_KEY_KIND, ApiKey, Membership, Role, User, new_secret
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.access import API_KEY, MEMBERSHIP
from crm.platform.permissions.engine import Access
from crm.platform.permissions.models import AuditEvent
from crm.platform.permissions.registry import ObjectType
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible
from crm.tenants.models import BusinessUnit

NAME_LENGTH = 100


def _role(group_id: int, code: str) -> Role:
    role = Role.objects.filter(group_id=group_id, code=code).first()
    if role is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="role", object="role", id=code)
    return role


def _business_unit(group_id: int, code: str | None) -> BusinessUnit | None:
    if not code:
        return None
    found: BusinessUnit | None = BusinessUnit.objects.filter(group_id=group_id, code=code).first()
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="businessUnit", object="business unit", id=code)
    return found


def _may_grant(
    access: Access, object_type: ObjectType, role: Role, business_unit: BusinessUnit | None
) -> None:
    """Nobody hands out more reach than they have.

    A caller whose right to grant comes from a group-level role may grant any role, anywhere in
    the group. Anyone else may grant only in their own BU, and only roles that reach no further
    than a BU: no rule of the role in the active policy has group scope (a BU-level holder of
    such a role would see or change every BU).
    """
    for grant, rule in access.rules(object_type):
        if grant.business_unit_id is None and Action.CREATE in rule.actions:
            return
    if business_unit is None or business_unit.pk != access.business_unit.pk:
        raise access.denied(Action.CREATE, object_type, "", field="business_unit")
    if access.policy.has_group_scope(role.pk):
        raise access.denied(Action.CREATE, object_type, "", field="role")


def api_key_create(
    *, access: Access, name: str, role: str, business_unit: str | None
) -> tuple[str, ApiKey]:
    """A new key: (the token, shown this once; the key). Only its digest is stored."""
    access.require(Action.CREATE, API_KEY, ["name", "role", "business_unit"])
    group_id = access.business_unit.group_id
    if not name.strip() or len(name) > NAME_LENGTH:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="name", reason=f"1 to {NAME_LENGTH} characters"
        )
    granted_role = _role(group_id, role)
    granted_unit = _business_unit(group_id, business_unit)
    _may_grant(access, API_KEY, granted_role, granted_unit)
    token, prefix, digest = new_secret(API_KEY_KIND)
    key = ApiKey.objects.create(
        group_id=group_id,
        business_unit=granted_unit,
        role=granted_role,
        name=name.strip(),
        prefix=prefix,
        digest=digest,
        created_by_id=access.principal.user_id,
    )
    access.audit(
        AuditEvent.API_KEY_CREATED,
        action=Action.CREATE,
        object_type=API_KEY.name,
        object_ids=[str(key.pk)],
        details={"role": role, "business_unit": business_unit or ""},
    )
    return token, key


def api_key_revoke(*, access: Access, key_id: int) -> ApiKey:
    with transaction.atomic():
        key = lock_visible(
            access, API_KEY, ApiKey.objects.filter(group_id=access.business_unit.group_id), key_id
        )
        access.require(Action.DELETE, key)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
    access.audit(
        AuditEvent.API_KEY_REVOKED,
        action=Action.DELETE,
        object_type=API_KEY.name,
        object_ids=[str(key.pk)],
    )
    return key


def membership_grant(
    *, access: Access, username: str, role: str, business_unit: str | None
) -> Membership:
    """Give a user of the group a role in one BU, or at group level without a BU."""
    access.require(Action.CREATE, MEMBERSHIP, ["user", "role", "business_unit"])
    group_id = access.business_unit.group_id
    user = User.objects.filter(group_id=group_id, username=username).first()
    if user is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="username", object="user", id=username)
    granted_role = _role(group_id, role)
    granted_unit = _business_unit(group_id, business_unit)
    _may_grant(access, MEMBERSHIP, granted_role, granted_unit)
    with transaction.atomic():
        membership, _created = Membership.objects.get_or_create(
            group_id=group_id, user=user, role=granted_role, business_unit=granted_unit
        )
    access.audit(
        AuditEvent.ROLE_GRANTED,
        action=Action.CREATE,
        object_type=MEMBERSHIP.name,
        object_ids=[str(membership.pk)],
        details={"role": role, "business_unit": business_unit or ""},
    )
    return membership


def membership_revoke(*, access: Access, membership_id: int) -> None:
    with transaction.atomic():
        membership = lock_visible(
            access,
            MEMBERSHIP,
            Membership.objects.filter(group_id=access.business_unit.group_id),
            membership_id,
        )
        access.require(Action.DELETE, membership)
        membership.delete()
    access.audit(
        AuditEvent.ROLE_REVOKED,
        action=Action.DELETE,
        object_type=MEMBERSHIP.name,
        object_ids=[str(membership_id)],
    )
