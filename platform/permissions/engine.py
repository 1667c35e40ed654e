"""The one policy engine: what a principal may do, on which records, with which fields.

An `Access` is a principal (a user with memberships, or an API key with a role) acting in one
business unit under the group's active policy (see `policy_data`). It is built once per request
or task, from one SQL statement for the grants and the active version; every check after that
is in memory, so a list of 50 records costs no SQL per node.

A rule applies to a record when the principal holds the rule's role (in this BU, or at group
level), the rule's stage is the record's (or every stage), and the record is within the rule's
scope for that grant. A principal with several applicable rules gets the union of their actions
and, per field, the widest mode.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.models import AuditEntry, AuditEvent
from crm.platform.permissions.policy_data import Grant, Policy, Principal, Rule
from crm.platform.permissions.registry import REGISTRY, ObjectType
from crm.platform.permissions.vocabulary import Action, FieldMode, Scope
from crm.tenants.models import BusinessUnit

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Permissions:
    """What the principal may do on one record (or on a type at a stage)."""

    object_type: ObjectType
    actions: frozenset[str]
    modes: Mapping[str, FieldMode]

    def allows(self, action: str) -> bool:
        return action in self.actions

    def mode(self, name: str) -> FieldMode:
        return self.modes.get(name, FieldMode.HIDDEN)


class Access:
    """A principal acting in one business unit: the single place every check goes through."""

    def __init__(
        self,
        principal: Principal,
        business_unit: BusinessUnit,
        policy: Policy,
        *,
        origin: str = "",
        user_agent: str = "",
    ) -> None:
        self.principal = principal
        self.business_unit = business_unit
        self.policy = policy
        self.origin = origin
        self.user_agent = user_agent
        self.grants = tuple(
            grant
            for grant in principal.grants
            if principal.group_id == business_unit.group_id
            and grant.business_unit_id in (None, business_unit.pk)
        )
        self._pending: list[AuditEntry] = []
        self._personal_reads: dict[str, dict[str, None]] = {}
        self._forbidden_reads: dict[tuple[str, str], dict[str, None]] = {}
        self._cache: dict[tuple[str, str, tuple[int, ...]], Permissions] = {}
        self._rules: dict[str, list[tuple[Grant, Rule]]] = {}
        # The record whose fields are being resolved: GraphQL resolves them one after another.
        self._current: tuple[Any, Permissions] | None = None

    # -- rules ------------------------------------------------------------------------------

    def rules(self, object_type: ObjectType) -> list[tuple[Grant, Rule]]:
        found = self._rules.get(object_type.name)
        if found is None:
            found = [
                (grant, rule)
                for grant in self.grants
                for rule in self.policy.rules.get((object_type.name, grant.role_id), ())
            ]
            self._rules[object_type.name] = found
        return found

    @cached_property
    def team_user_ids(self) -> frozenset[int]:
        """The principal and the members of every team they manage, and of the teams below."""
        from crm.platform.accounts.models import Team

        user_id = self.principal.user_id
        if user_id is None:
            return frozenset()
        teams = list(
            Team.objects.filter(business_unit=self.business_unit).values_list("id", "parent_id")
        )
        managed = set(
            Team.objects.filter(business_unit=self.business_unit, manager_id=user_id).values_list(
                "id", flat=True
            )
        )
        frontier = set(managed)
        while frontier:
            frontier = {team for team, parent in teams if parent in frontier} - managed
            managed |= frontier
        members = Team.members.through.objects.filter(team_id__in=managed).values_list(
            "user_id", flat=True
        )
        return frozenset({user_id, *members})

    def _reaches(self, object_type: ObjectType, record: Any, grant: Grant, scope: Scope) -> bool:
        if scope == Scope.GROUP:
            group_id = object_type.group_of(record)
            return group_id is None or group_id == self.principal.group_id
        if scope == Scope.BUSINESS_UNIT:
            return grant.business_unit_id == self.business_unit.pk and (
                object_type.business_unit_holds(record, self.business_unit)
            )
        owner = object_type.owner_of(record)
        people = object_type.members_of(record) if object_type.members_lookup else frozenset()
        if owner is not None:
            people = people | {owner}
        if scope == Scope.TEAM:
            return not people.isdisjoint(self.team_user_ids)
        return self.principal.user_id in people

    def _scope_filter(self, object_type: ObjectType, grant: Grant, scope: Scope) -> Q | None:
        if scope == Scope.GROUP:
            if object_type.group_field is None:
                return Q()
            return Q(**{f"{object_type.group_field}_id": self.principal.group_id})
        if scope == Scope.BUSINESS_UNIT:
            if grant.business_unit_id != self.business_unit.pk:
                return None
            return object_type.business_unit_filter(self.business_unit)
        if object_type.owner_field is None:
            return None
        if scope == Scope.TEAM:
            users: Any = self.team_user_ids
            lookup = "in"
        elif self.principal.user_id is None:
            return None
        else:
            users, lookup = self.principal.user_id, "exact"
        reach = Q(**{f"{object_type.owner_field}_id__{lookup}": users})
        if object_type.members_lookup:
            members = object_type.model._default_manager.filter(
                **{f"{object_type.members_lookup}__{lookup}": users}
            ).values("pk")
            reach |= Q(pk__in=members)
        return reach

    # -- answers ----------------------------------------------------------------------------

    def _combine(self, object_type: ObjectType, stage: str, rules: list[Rule]) -> Permissions:
        key = (object_type.name, stage, tuple(rule.id for rule in rules))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        actions: set[str] = set()
        modes = dict.fromkeys(object_type.field_names, FieldMode.HIDDEN)
        for rule in rules:
            actions |= rule.actions
            for name in object_type.field_names:
                modes[name] = max(modes[name], rule.mode(name))
        if Action.VIEW not in actions:
            modes = dict.fromkeys(object_type.field_names, FieldMode.HIDDEN)
        permissions = Permissions(object_type, frozenset(actions), modes)
        self._cache[key] = permissions
        return permissions

    def on_record(self, object_type: ObjectType, record: Any) -> Permissions:
        """The permissions on one loaded record: its stage and scope decide. No SQL."""
        stage = object_type.stage_of(record)
        rules = [
            rule
            for grant, rule in self.rules(object_type)
            if rule.matches_stage(stage) and self._reaches(object_type, record, grant, rule.scope)
        ]
        return self._combine(object_type, stage, rules)

    def on_node(self, object_type: ObjectType, record: Any) -> Permissions:
        """`on_record` for the fields of one record resolved in a row: computed once per record.

        GraphQL resolves a record's fields one after another and nothing writes the record in
        between (a mutation's payload is resolved after its write), so the same object has the
        same permissions for all of them.
        """
        current = self._current
        if current is not None and current[0] is record:
            return current[1]
        permissions = self.on_record(object_type, record)
        self._current = (record, permissions)
        return permissions

    def on_type(self, object_type: ObjectType, stage: str | None = None) -> Permissions:
        """The permissions on records of a type at a stage (the initial one by default)."""
        at = object_type.initial_stage if stage is None else stage
        rules = [
            rule
            for grant, rule in self.rules(object_type)
            if rule.matches_stage(at)
            and (
                rule.scope != Scope.BUSINESS_UNIT or grant.business_unit_id == self.business_unit.pk
            )
        ]
        return self._combine(object_type, at, rules)

    def permissions(self, object_type: ObjectType, subject: Any = None) -> Permissions:
        if subject is None:
            return self.on_type(object_type)
        return self.on_record(object_type, subject)

    def can(self, action: str, subject: Any, field: str | None = None) -> bool:
        """`subject` is a record or an ObjectType; with `field`, also that field's mode."""
        if isinstance(subject, ObjectType):
            object_type, permissions = subject, self.on_type(subject)
        else:
            object_type = type_of(subject)
            permissions = self.on_record(object_type, subject)
        if not permissions.allows(action):
            return False
        if field is None:
            return True
        needed = FieldMode.READ if action in (Action.VIEW, Action.EXPORT) else FieldMode.WRITE
        return permissions.mode(field) >= needed

    def visible(self, object_type: ObjectType, queryset: QuerySet[M]) -> QuerySet[M]:
        """The records of `queryset` this principal may view: scope and stage, in SQL."""
        condition: Q | None = None
        for grant, rule in self.rules(object_type):
            if Action.VIEW not in rule.actions:
                continue
            scope = self._scope_filter(object_type, grant, rule.scope)
            if scope is None:
                continue
            if rule.stage and object_type.stage_field:
                scope &= Q(**{object_type.stage_field: rule.stage})
            if not scope:
                # No condition: every record. (An empty Q would vanish from an OR: `Q() | x`
                # is `x`, which would narrow "the whole BU or my own" to "my own".)
                return queryset
            condition = scope if condition is None else condition | scope
        if condition is None:
            return queryset.none()
        return queryset.filter(condition)

    def readable_everywhere(self, object_type: ObjectType, name: str) -> bool:
        """Whether `name` is readable in every record this principal can view.

        Filtering, ordering or aggregating on a field is allowed only then; otherwise the result
        would reveal values of records where the field is hidden.
        """
        viewing = [rule for _grant, rule in self.rules(object_type) if Action.VIEW in rule.actions]
        return bool(viewing) and all(rule.mode(name) >= FieldMode.READ for rule in viewing)

    # -- refusals ---------------------------------------------------------------------------

    def require(
        self, action: str, subject: Any, fields: Iterable[str] = (), *, object_type: str = ""
    ) -> Permissions:
        """The permissions on `subject`, or PERMISSION_DENIED naming the action and field."""
        kind = subject if isinstance(subject, ObjectType) else type_of(subject)
        permissions = self.permissions(kind, None if subject is kind else subject)
        record_id = "" if subject is kind else str(getattr(subject, "pk", ""))
        if not permissions.allows(action):
            raise self.denied(action, kind, record_id)
        needed = FieldMode.READ if action in (Action.VIEW, Action.EXPORT) else FieldMode.WRITE
        for name in fields:
            if permissions.mode(name) < needed:
                raise self.denied(action, kind, record_id, field=name)
        return permissions

    def require_some(self, action: str, object_type: ObjectType) -> None:
        """PERMISSION_DENIED unless some rule gives `action` on some records of the type."""
        if not any(action in rule.actions for _grant, rule in self.rules(object_type)):
            raise self.denied(action, object_type, "")

    def require_readable(self, object_type: ObjectType, name: str, *, argument: str) -> None:
        """FIELD_FORBIDDEN for a filter, ordering or aggregate on a field hidden anywhere."""
        if not self.readable_everywhere(object_type, name):
            error = CrmError(
                ErrorCode.FIELD_FORBIDDEN,
                field=argument,
                object=object_type.name,
                name=name,
            )
            self.audit(
                AuditEvent.DENIED,
                action=Action.VIEW,
                object_type=object_type.name,
                field=name,
                code=error.code.value,
                details={"argument": argument},
            )
            raise error

    def denied(
        self, action: str, object_type: ObjectType, record_id: str, *, field: str | None = None
    ) -> CrmError:
        error = CrmError(
            ErrorCode.PERMISSION_DENIED,
            field=field,
            action=action,
            object=object_type.name,
            name=field or "*",
        )
        self.audit_denial(error, action, object_type, record_id)
        return error

    # -- audit ------------------------------------------------------------------------------

    def audit(self, event: str, **fields: Any) -> None:
        """Queue an audit entry; `flush` writes the queue outside any rolled-back transaction."""
        self._pending.append(
            AuditEntry(
                group_id=self.business_unit.group_id,
                business_unit=self.business_unit,
                event=event,
                user_id=self.principal.user_id,
                api_key_id=self.principal.api_key_id,
                actor=self.principal.label,
                origin=self.origin,
                user_agent=self.user_agent[:300],
                **fields,
            )
        )

    def audit_denial(
        self, error: CrmError, action: str, object_type: ObjectType, record_id: str
    ) -> None:
        self.audit(
            AuditEvent.DENIED,
            action=action,
            object_type=object_type.name,
            object_ids=[record_id] if record_id else [],
            field=error.field or "",
            code=error.code.value,
        )

    def read_personal(self, object_type: ObjectType, record_id: object, name: str) -> None:
        reads = self._personal_reads.setdefault(object_type.name, {})
        reads[str(record_id)] = None
        reads.setdefault(f"field:{name}", None)

    def forbidden_read(self, object_type: ObjectType, record_id: object, name: str) -> None:
        """A hidden field was asked for: one audit entry per type and field, with the records."""
        self._forbidden_reads.setdefault((object_type.name, name), {})[str(record_id)] = None

    def flush(self) -> None:
        for (type_name, name), denied_ids in self._forbidden_reads.items():
            self.audit(
                AuditEvent.DENIED,
                action=Action.VIEW,
                object_type=type_name,
                object_ids=list(denied_ids),
                field=name,
                code=ErrorCode.FIELD_FORBIDDEN.value,
            )
        self._forbidden_reads.clear()
        for type_name, reads in self._personal_reads.items():
            ids = [key for key in reads if not key.startswith("field:")]
            names = sorted(key.removeprefix("field:") for key in reads if key.startswith("field:"))
            self.audit(
                AuditEvent.PERSONAL_DATA_READ,
                action=Action.VIEW,
                object_type=type_name,
                object_ids=ids,
                details={"fields": names},
            )
        self._personal_reads.clear()
        if len(self._pending) == 1:  # the usual case: one INSERT, no transaction around it
            self._pending[0].save(force_insert=True)
        elif self._pending:
            AuditEntry.objects.bulk_create(self._pending)
        self._pending.clear()


def history_context(access: Access, reason: str, operation: str) -> dict[str, Any]:
    """What a change's history entry records about who made it (ids and the caller's label)."""
    return {
        "actor": access.principal.label,
        "user_id": access.principal.user_id,
        "api_key_id": access.principal.api_key_id,
        "business_unit": access.business_unit.handle,
        "operation": operation,
        "reason": reason,
    }


def type_of(record: Any) -> ObjectType:
    for object_type in REGISTRY.values():
        if isinstance(record, object_type.model):
            return object_type
    raise LookupError(f"{type(record).__name__} is not governed by the policy")
