"""Administering access: API keys and memberships, asked of the policy engine like any write."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crm.platform.accounts.models import API_KEY_KIND, ApiKey, Membership, Role, User, new_secret
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.access import API_KEY, MEMBERSHIP
from crm.platform.permissions.engine import Access
from crm.platform.permissions.models import AuditEvent
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
    token, prefix, digest = new_secret(API_KEY_KIND)
    key = ApiKey.objects.create(
        group_id=group_id,
        business_unit=_business_unit(group_id, business_unit),
        role=_role(group_id, role),
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
    with transaction.atomic():
        membership, _created = Membership.objects.get_or_create(
            group_id=group_id,
            user=user,
            role=_role(group_id, role),
            business_unit=_business_unit(group_id, business_unit),
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
