"""Changing a group's policy: a new immutable version, activated atomically, effective at once.

The next request loads the new active version, so a change applies to every later call. Rule
changes are validated against the registry (type, stage, fields), the group's roles, and the
vocabulary; a change that would leave no role able to edit the policy is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from crm.platform.accounts.models import Role
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.models import AuditEvent, PolicyRule, PolicyVersion
from crm.platform.permissions.registry import REGISTRY
from crm.platform.permissions.vocabulary import Action, FieldMode, Scope

POLICY_TYPE = "policy"


@dataclass(frozen=True)
class RuleChange:
    """Set (or with `remove`, delete) the rule for one type, role, stage and scope."""

    object_type: str
    role: str
    stage: str
    scope: str
    actions: tuple[str, ...] = ()
    default_field_mode: str = "read"
    field_modes: dict[str, str] = field(default_factory=dict)
    remove: bool = False


def _invalid(reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_POLICY, field="changes", reason=reason)


def _validate(change: RuleChange, roles: dict[str, Role]) -> None:
    object_type = REGISTRY.get(change.object_type)
    if object_type is None:
        raise _invalid(f"unknown object type {change.object_type!r}")
    if change.role not in roles:
        raise _invalid(f"unknown role {change.role!r}")
    if change.stage and change.stage not in object_type.stages:
        raise _invalid(f"{change.object_type} has no stage {change.stage!r}")
    if change.scope not in Scope.values:
        raise _invalid(f"unknown scope {change.scope!r}")
    unknown_actions = set(change.actions) - set(Action.values)
    if unknown_actions:
        raise _invalid(f"unknown actions {sorted(unknown_actions)}")
    modes = {change.default_field_mode, *change.field_modes.values()}
    if not modes <= {mode.label for mode in FieldMode}:
        raise _invalid("field modes are hidden, read or write")
    unknown_fields = set(change.field_modes) - object_type.field_names
    if unknown_fields:
        raise _invalid(f"{change.object_type} has no fields {sorted(unknown_fields)}")


def _can_edit_policy(rule: PolicyRule) -> bool:
    """Whether the rule lets its role change the policy: edit, group scope, rules and note writable.

    The policy record has no owner and no BU, so only a group-scope rule reaches it.
    """
    return (
        rule.object_type == POLICY_TYPE
        and Action.EDIT in rule.actions
        and rule.scope == Scope.GROUP
        and all(
            rule.field_modes.get(name, rule.default_field_mode) == FieldMode.WRITE.label
            for name in ("rules", "note")
        )
    )


def policy_update(*, access: Access, changes: Iterable[RuleChange], note: str) -> PolicyVersion:
    changes = list(changes)
    if not changes:
        raise _invalid("no changes")
    group_id = access.business_unit.group_id
    with transaction.atomic():
        current = (
            PolicyVersion.objects.select_for_update().filter(group_id=group_id, active=True).first()
        )
        if current is None:
            raise CrmError(ErrorCode.NOT_FOUND, field="policy", object=POLICY_TYPE, id=group_id)
        access.require(Action.EDIT, current, ["rules", "note"])
        roles = {role.code: role for role in Role.objects.filter(group_id=group_id)}
        rules = {
            (r.object_type, r.role_id, r.stage, r.scope): r
            for r in PolicyRule.objects.filter(version=current)
        }
        for change in changes:
            _validate(change, roles)
            key = (change.object_type, roles[change.role].pk, change.stage, change.scope)
            if change.remove:
                if rules.pop(key, None) is None:
                    where = (
                        f"{change.object_type}/{change.role}/{change.stage or '*'}/{change.scope}"
                    )
                    raise _invalid(f"no rule {where} to remove")
                continue
            rules[key] = PolicyRule(
                object_type=change.object_type,
                role=roles[change.role],
                stage=change.stage,
                scope=change.scope,
                actions=sorted(set(change.actions)),
                default_field_mode=change.default_field_mode,
                field_modes=dict(change.field_modes),
            )
        if not any(_can_edit_policy(rule) for rule in rules.values()):
            raise _invalid("no role could edit the policy any more")
        version = current.succeed(rules.values(), note=note, created_by_id=access.principal.user_id)
    version = PolicyVersion.objects.prefetch_related("rules__role").get(pk=version.pk)
    access.audit(
        AuditEvent.POLICY_CHANGED,
        action=Action.EDIT,
        object_type=POLICY_TYPE,
        object_ids=[str(version.pk)],
        details={"from": current.number, "to": version.number, "note": note[:500]},
    )
    return version
