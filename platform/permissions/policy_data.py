"""Policy data as the engine uses it: who holds which roles, and a group's compiled rules.

A principal's grants and the active version's rules are plain frozen values, loaded once per
request (or task); compiled versions are kept per process, since a version never changes.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from crm.platform.permissions.models import PolicyRule, PolicyVersion
from crm.platform.permissions.vocabulary import FieldMode, Scope


@dataclass(frozen=True)
class Grant:
    """A role held by the principal in one BU, or at group level (`business_unit_id` None)."""

    role_id: int
    role_code: str
    business_unit_id: int | None


@dataclass(frozen=True)
class Principal:
    group_id: int
    label: str
    grants: tuple[Grant, ...]
    user_id: int | None = None
    api_key_id: int | None = None
    # The group's active policy version (id, number), when read in the same query as the grants.
    policy_version: tuple[int, int] | None = None


@dataclass(frozen=True)
class Rule:
    id: int
    object_type: str
    role_id: int
    stage: str
    scope: Scope
    actions: frozenset[str]
    default_mode: FieldMode
    modes: Mapping[str, FieldMode]

    def mode(self, name: str) -> FieldMode:
        return self.modes.get(name, self.default_mode)

    def matches_stage(self, stage: str) -> bool:
        return not self.stage or self.stage == stage


@dataclass(frozen=True)
class Policy:
    """A group's active policy version, compiled for lookups by (object type, role)."""

    version_id: int | None
    number: int
    rules: Mapping[tuple[str, int], tuple[Rule, ...]]

    def has_group_scope(self, role_id: int) -> bool:
        """Whether any rule of the role reaches the whole group."""
        return any(
            rule.scope == Scope.GROUP
            for (_type, holder), rules in self.rules.items()
            if holder == role_id
            for rule in rules
        )

    @classmethod
    def active_for(cls, group_id: int) -> Policy:
        """The group's active version: one small query, then the compiled rules from memory.

        Versions are immutable (a change writes the next version), so a compiled version can be
        kept for the life of the process; switching the active version takes effect at once.
        """
        version = (
            PolicyVersion.objects.filter(group_id=group_id, active=True)
            .values_list("pk", "number")
            .first()
        )
        if version is None:
            return cls(None, 0, {})
        return compiled_version(*version)


@functools.lru_cache(maxsize=512)
def compiled_version(version_id: int, number: int) -> Policy:
    by_key: dict[tuple[str, int], list[Rule]] = {}
    for row in PolicyRule.objects.filter(version_id=version_id).order_by("id"):
        by_key.setdefault((row.object_type, row.role_id), []).append(compile_rule(row))
    return Policy(version_id, number, {key: tuple(rules) for key, rules in by_key.items()})


def compile_rule(row: PolicyRule) -> Rule:
    return Rule(
        id=row.pk,
        object_type=row.object_type,
        role_id=row.role_id,
        stage=row.stage,
        scope=Scope(row.scope),
        actions=frozenset(row.actions),
        default_mode=FieldMode.parse(row.default_field_mode),
        modes={name: FieldMode.parse(mode) for name, mode in row.field_modes.items()},
    )


def load_policy(group_id: int) -> Policy:
    return Policy.active_for(group_id)


def policy_for(principal: Principal) -> Policy:
    """The principal's group policy, without a query when its version came with the grants."""
    if principal.policy_version is not None:
        return compiled_version(*principal.policy_version)
    return load_policy(principal.group_id)
