"""Roles are data of a group: whoever may edit the policy may add roles and remove unused ones."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.db import transaction
from modeltranslation.utils import build_localized_fieldname

from crm.i18n import languages
from crm.platform.accounts.models import ApiKey, Membership, Role
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.access import POLICY
from crm.platform.permissions.engine import Access
from crm.platform.permissions.models import PolicyRule, PolicyVersion
from crm.platform.permissions.vocabulary import Action

CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")


def _require_policy_edit(access: Access) -> PolicyVersion:
    """Roles are part of the policy: the caller must be allowed to edit its rules."""
    group_id = access.business_unit.group_id
    # Every group has a policy, so refusing with PERMISSION_DENIED reveals nothing.
    policy = (
        PolicyVersion.objects.select_for_update().filter(group_id=group_id, active=True).first()
    )
    if policy is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="policy", object=POLICY.name, id=group_id)
    access.require(Action.EDIT, policy, ["rules"])
    return policy


def role_create(*, access: Access, code: str, names: Mapping[str, str]) -> Role:
    """A new role without rules: it grants nothing until policyUpdate gives it some."""
    if not CODE.fullmatch(code):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="code",
            reason="2 to 40 lower-case letters, digits or _, starting with a letter",
        )
    role = Role(group_id=access.business_unit.group_id, code=code)
    for language, text in names.items():
        if languages.supported(language) != language:
            raise CrmError(ErrorCode.UNKNOWN_LANGUAGE, field="names", language=language)
        setattr(role, build_localized_fieldname("name", language), text.strip()[:100])
    role.name = names.get("en") or next(iter(names.values()), code)
    with transaction.atomic():
        _require_policy_edit(access)
        if Role.objects.filter(group_id=role.group_id, code=code).exists():
            raise CrmError(ErrorCode.ALREADY_EXISTS, field="code", object="role", value=code)
        role.save()
    return role


def role_delete(*, access: Access, code: str) -> None:
    """Only a role nobody holds, no key uses and no policy version mentions."""
    group_id = access.business_unit.group_id
    with transaction.atomic():
        _require_policy_edit(access)
        role = Role.objects.select_for_update().filter(group_id=group_id, code=code).first()
        if role is None:
            raise CrmError(ErrorCode.NOT_FOUND, field="code", object="role", id=code)
        # Past policy versions and revoked keys keep their history, so they count as uses.
        in_use = (
            Membership.objects.filter(role=role).exists()
            or ApiKey.objects.filter(role=role).exists()
            or PolicyRule.objects.filter(role=role).exists()
        )
        if in_use:
            raise CrmError(ErrorCode.IN_USE, field="code", object="role", id=code)
        role.delete()
