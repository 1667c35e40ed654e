"""Keeping the BU's rules (managers), reading one's notifications, and recording external
events (integrators). Every write checks the policy first and is atomic: a refusal changes
nothing."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from modeltranslation.utils import build_localized_fieldname

from crm.i18n import languages
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import REGISTRY
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible
from crm.tenants.automation import clock, definitions, engine, events
from crm.tenants.automation.access import AUTOMATION_RULE, EXTERNAL_EVENT, NOTIFICATION
from crm.tenants.automation.models import (
    ExternalEvent,
    Notification,
    RecordType,
    Rule,
    Trigger,
)

NAME_LENGTH = 200
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,59}$"
EXTERNAL_TYPES = (
    RecordType.LEAD,
    RecordType.ACCOUNT,
    RecordType.CONTACT,
    RecordType.OPPORTUNITY,
)


def _names(rule: Rule, names: Mapping[str, str]) -> None:
    if not names or not any(str(text).strip() for text in names.values()):
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="names", reason="a name is required")
    # `name` first: modeltranslation writes it to the active language's column.
    rule.name = str(names.get("en") or next(text for text in names.values() if text)).strip()
    for language, text in names.items():
        if languages.supported(language) != language:
            raise CrmError(ErrorCode.UNKNOWN_LANGUAGE, field="names", language=language)
        if len(str(text).strip()) > NAME_LENGTH:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="names",
                reason=f"at most {NAME_LENGTH} characters",
            )
        setattr(rule, build_localized_fieldname("name", language), str(text).strip())


def _choice(value: Any, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason=f"one of {', '.join(choices.values)}"
        )
    return str(value)


def _apply(access: Access, rule: Rule, changes: Mapping[str, Any]) -> None:
    """Check and set `changes`; what a change does not name keeps its value, but the whole
    definition is checked again, since trigger, parameters and actions depend on each other."""
    import re

    if "code" in changes:
        code = str(changes["code"] or "")
        if not re.fullmatch(CODE_PATTERN, code):
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="code",
                reason="2 to 60 lower-case letters, digits, - or _",
            )
        rule.code = code
    if "names" in changes:
        _names(rule, changes["names"])
    if "description" in changes:
        rule.description = str(changes["description"] or "")[:2000]
    if "record_type" in changes:
        rule.record_type = _choice(changes["record_type"], RecordType, "recordType")
    if "trigger" in changes:
        rule.trigger = _choice(changes["trigger"], Trigger, "trigger")
    if "position" in changes:
        position = int(changes["position"])
        if position < 0:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="position", reason="must not be negative"
            )
        rule.position = position
    for name in ("parameters", "conditions", "actions"):
        if name in changes:
            setattr(rule, name, changes[name])
    if "active" in changes:
        rule.active = bool(changes["active"])
    rule.parameters = definitions.clean_parameters(rule.record_type, rule.trigger, rule.parameters)
    rule.conditions = definitions.clean_conditions(rule.record_type, rule.conditions)
    rule.actions = definitions.clean_actions(
        access.business_unit, rule.record_type, rule.trigger, rule.actions
    )
    definitions.check_activation(rule.record_type, rule.active)


def rule_create(access: Access, **fields: Any) -> Rule:
    access.require(Action.CREATE, AUTOMATION_RULE)
    for name in ("code", "names", "record_type", "trigger", "actions"):
        if fields.get(name) in (None, "", [], {}):
            field = {"record_type": "recordType"}.get(name, name)
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason="required")
    rule = Rule(created_at=timezone.now(), updated_at=timezone.now())
    _apply(access, rule, fields)
    with transaction.atomic():
        if Rule.objects.filter(code=rule.code).exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS, field="code", object="automation rule", value=rule.code
            )
        rule.save()
    engine.forget_rules(access)
    return rule


def rule_update(access: Access, rule_id: int, **changes: Any) -> Rule:
    with transaction.atomic():
        rule = lock_visible(access, AUTOMATION_RULE, Rule.objects.all(), rule_id)
        access.require(Action.EDIT, rule)
        _apply(access, rule, changes)
        if "code" in changes and Rule.objects.filter(code=rule.code).exclude(pk=rule.pk).exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS, field="code", object="automation rule", value=rule.code
            )
        rule.updated_at = timezone.now()
        rule.save()
    engine.forget_rules(access)
    return rule


def rule_set_active(access: Access, rule_id: int, active: bool) -> Rule:
    with transaction.atomic():
        rule = lock_visible(access, AUTOMATION_RULE, Rule.objects.all(), rule_id)
        access.require(Action.EDIT, rule, ["active"])
        definitions.check_activation(rule.record_type, active)
        rule.active = active
        rule.updated_at = timezone.now()
        rule.save(update_fields=["active", "updated_at"])
    engine.forget_rules(access)
    return rule


def rule_delete(access: Access, rule_id: int) -> None:
    """A rule's firings go with it; what it did (tasks, notifications) stays."""
    with transaction.atomic():
        rule = lock_visible(access, AUTOMATION_RULE, Rule.objects.all(), rule_id)
        access.require(Action.DELETE, rule)
        rule.delete()
    engine.forget_rules(access)


def notifications_mark_read(access: Access, ids: list[int]) -> list[Notification]:
    """Mark the caller's own notifications read; ids of others' are NOT_FOUND."""
    with transaction.atomic():
        found = list(
            access.visible(NOTIFICATION, Notification.objects.all())
            .select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
        )
        missing = sorted(set(ids) - {n.pk for n in found})
        if missing:
            raise CrmError(ErrorCode.NOT_FOUND, field="ids", object="notification", id=missing[0])
        for notification in found:
            access.require(Action.EDIT, notification, ["read_at"])
        now = clock.now()
        unread = [n.pk for n in found if n.read_at is None]
        Notification.objects.filter(pk__in=unread).update(read_at=now)
        for notification in found:
            notification.read_at = notification.read_at or now
    return found


def external_event_record(
    access: Access,
    *,
    kind: str,
    record_type: str,
    record_id: int,
    external_id: str,
    occurred_at: datetime.datetime | None,
    details: Mapping[str, Any] | None,
) -> tuple[ExternalEvent, bool]:
    """Store the event once per external id and run the EXTERNAL rules for it.

    Returns (the event, whether it was new). The same external id again returns the first
    event and fires nothing (the rules fire once per external id anyway).
    """
    access.require(Action.CREATE, EXTERNAL_EVENT)
    if kind not in definitions.EXTERNAL_KINDS:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="kind",
            reason=f"one of {', '.join(definitions.EXTERNAL_KINDS)}",
        )
    external_id = external_id.strip()
    if not external_id or len(external_id) > 200:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="externalId", reason="1 to 200 characters")
    if details is not None and (not isinstance(details, Mapping) or len(str(details)) > 4000):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="details",
            reason="an object of at most 4000 characters",
        )
    when = occurred_at or clock.now()
    if timezone.is_naive(when):
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="occurredAt", reason="give a time zone")
    with transaction.atomic():
        existing = ExternalEvent.objects.filter(external_id=external_id).first()
        if existing is not None:
            _same_event(existing, kind, record_type, record_id)
            return existing, False
        object_type = REGISTRY[record_type]
        model = object_type.model
        record = (
            access.visible(object_type, model._default_manager.all()).filter(pk=record_id).first()
        )
        if record is None:
            raise CrmError(ErrorCode.NOT_FOUND, field="recordId", object=record_type, id=record_id)
        try:
            with transaction.atomic():
                event = ExternalEvent.objects.create(
                    kind=kind,
                    record_type=record_type,
                    record_id=record_id,
                    external_id=external_id,
                    details=dict(details or {}),
                    occurred_at=when,
                    received_at=clock.now(),
                )
        except IntegrityError:  # the same event, reported twice at once: the first one counts
            existing = ExternalEvent.objects.get(external_id=external_id)
            _same_event(existing, kind, record_type, record_id)
            return existing, False
        events.dispatch(
            access,
            events.Event(
                Trigger.EXTERNAL,
                record_type,
                record,
                occurrence=external_id,
                kind=kind,
                details={**dict(details or {}), "occurred_at": when},
            ),
        )
    return event, True


def _same_event(existing: ExternalEvent, kind: str, record_type: str, record_id: int) -> None:
    if (existing.kind, existing.record_type, existing.record_id) != (kind, record_type, record_id):
        raise CrmError(
            ErrorCode.IDEMPOTENCY_CONFLICT,
            field="externalId",
            key=existing.external_id,
            object="external event",
        )
