"""Evaluating the BU's rules for an event: conditions, then actions, once per occurrence.

`run(access, event)` is what `events.dispatch` calls inside the triggering write's
transaction. The BU's active rules are read once per request (one query, kept with the
caller's `Access`); a rule fires when its trigger parameters and conditions hold, and only if
its `Firing(rule, record type, record id, occurrence)` row is new (INSERT ... ON CONFLICT DO
NOTHING): the same occurrence never fires twice, whoever sends it and however often.

Actions run as the system (the rules were set by the BU's managers), not with the permissions
of whoever triggered them; every effect is recorded in `Firing.outcome` and attributed to the
rule. An action that fails is recorded there too and rolled back on its own (a savepoint):
a broken rule never breaks the sales work that triggered it.
"""

from __future__ import annotations

import datetime
import json
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pghistory
from django.db import connection, transaction

from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import Principal, load_policy
from crm.tenants.automation import clock, records
from crm.tenants.automation.models import Firing, Rule, Trigger
from crm.tenants.leads import conditions as condition_rules
from crm.tenants.models import BusinessUnit

if TYPE_CHECKING:
    from crm.tenants.automation.events import Event

logger = logging.getLogger(__name__)

_RULES: weakref.WeakKeyDictionary[Access, dict[tuple[str, str], list[Rule]]] = (
    weakref.WeakKeyDictionary()
)


@dataclass
class Context:
    """One run of rules: where, when, for whom, and caches shared by its actions."""

    business_unit: BusinessUnit
    now: datetime.datetime
    actor: str
    event: Event | None = None
    cache: dict[Any, Any] = field(default_factory=dict)
    _system: Access | None = None

    @property
    def system(self) -> Access:
        """The system acting in this BU (no grants): for services that need an `Access`."""
        if self._system is None:
            business_unit = self.business_unit
            principal = Principal(group_id=business_unit.group_id, label="automation", grants=())
            self._system = Access(
                principal, business_unit, load_policy(business_unit.group_id), origin="automation"
            )
        return self._system


@dataclass
class Item:
    """A record a rule fires for, with its firing row once inserted."""

    record: Any
    occurrence: str
    firing_id: int = 0
    outcome: list[dict[str, Any]] = field(default_factory=list)


def rules_for(access: Access, record_type: str, trigger: str) -> list[Rule]:
    """The BU's active rules for a record type and trigger, read once per request."""
    by_key = _RULES.get(access)
    if by_key is None:
        by_key = {}
        for rule in Rule.objects.filter(active=True).order_by("position", "id"):
            by_key.setdefault((rule.record_type, rule.trigger), []).append(rule)
        _RULES[access] = by_key
    return by_key.get((record_type, trigger), [])


def forget_rules(access: Access) -> None:
    """After the rules changed in this request: read them again at the next event."""
    _RULES.pop(access, None)


def run(access: Access, event: Event) -> None:
    """Fire every active rule of the BU that `event` triggers and whose conditions hold."""
    kind = records.KINDS.get(event.record_type)
    if kind is None or not kind.available:
        return
    candidates = [
        rule
        for rule in rules_for(access, event.record_type, event.trigger)
        if triggered(rule, event)
    ]
    if not candidates:
        return
    facts = kind.facts(event.record)
    context = Context(
        business_unit=access.business_unit,
        now=clock.now(),
        actor=access.principal.label,
        event=event,
    )
    for rule in candidates:
        if condition_rules.matches(facts, rule.conditions):
            fire(context, rule, kind, [Item(event.record, occurrence_of(rule, event, context))])


def triggered(rule: Rule, event: Event) -> bool:
    parameters = rule.parameters or {}
    if event.trigger == Trigger.FIELD_CHANGED:
        return change_of(str(parameters.get("field")), event) is not None
    if event.trigger == Trigger.STAGE_CHANGED:
        before, after = event.changes.get("stage", ("", ""))
        return bool(
            parameters.get("from", before) == before and parameters.get("to", after) == after
        )
    if event.trigger == Trigger.EXTERNAL:
        return event.kind in (parameters.get("events") or [])
    return event.trigger == Trigger.CREATED


def change_of(name: str, event: Event) -> tuple[Any, Any] | None:
    """The (before, after) of field `name` in a FIELD_CHANGED event, if it changed.

    Services name custom fields `customFields.<code>`, or send the whole `custom_fields`
    (or `custom`) dict; a rule names one as `custom.<code>`.
    """
    if name in event.changes:
        return event.changes[name]
    if not name.startswith("custom."):
        return None
    code = name.removeprefix("custom.")
    if f"customFields.{code}" in event.changes:
        return event.changes[f"customFields.{code}"]
    for key in ("custom_fields", "custom"):
        if key in event.changes:
            before, after = event.changes[key]
            old, new = (before or {}).get(code), (after or {}).get(code)
            if old != new:
                return old, new
    return None


def occurrence_of(rule: Rule, event: Event, context: Context) -> str:
    """What tells this firing apart: the same value for the same event, whoever sends it."""
    if event.trigger == Trigger.CREATED:
        return "created"
    if event.trigger == Trigger.STAGE_CHANGED:
        before, after = event.changes["stage"]
        return f"stage:{before}>{after}@{event.occurrence}"[:200]
    if event.trigger == Trigger.EXTERNAL:
        return f"external:{event.occurrence}"[:200]
    name = str((rule.parameters or {}).get("field"))
    before, after = change_of(name, event) or (None, None)
    # Without an occurrence from the caller, each change is its own (its time tells it apart).
    tag = event.occurrence or context.now.isoformat()
    return f"field:{name}:{before}>{after}@{tag}"[:200]


def elapsed_occurrence(since: datetime.datetime) -> str:
    """`elapsed:<since, UTC, microseconds>`; the scan builds the same text in SQL (UtcStamp)."""
    return "elapsed:" + since.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _insert_firings(rule: Rule, kind: records.RecordKind, items: Sequence[Item], now: Any) -> None:
    """Insert the firing rows that are new; set `firing_id` on the items they are for."""
    table = Firing._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (rule_id, record_type, record_id, occurrence, fired_at, outcome)
            SELECT %s, %s, t.record_id, t.occurrence, %s, '{{}}'::jsonb
            FROM unnest(%s::bigint[], %s::text[]) AS t(record_id, occurrence)
            ON CONFLICT (rule_id, record_type, record_id, occurrence) DO NOTHING
            RETURNING id, record_id, occurrence
            """,  # noqa: S608 - the table name is the model's; values are parameters
            [
                rule.pk,
                kind.name,
                now,
                [item.record.pk for item in items],
                [item.occurrence for item in items],
            ],
        )
        inserted = {(record_id, occurrence): pk for pk, record_id, occurrence in cursor.fetchall()}
    for item in items:
        item.firing_id = inserted.get((item.record.pk, item.occurrence), 0)


def _save_outcomes(context: Context, items: Sequence[Item]) -> None:
    """Each firing's outcome, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Firing._meta.db_table} AS f SET outcome = v.outcome
            FROM unnest(%s::bigint[], %s::jsonb[]) AS v(id, outcome)
            WHERE f.id = v.id
            """,  # noqa: S608 - the table name is the model's; values are parameters
            [
                [item.firing_id for item in items],
                [
                    json.dumps({"actor": context.actor, "actions": item.outcome}, default=str)
                    for item in items
                ],
            ],
        )


def fire(
    context: Context, rule: Rule, kind: records.RecordKind, items: Sequence[Item]
) -> list[Item]:
    """Fire `rule` for each item whose occurrence is new; run its actions; record outcomes.

    Returns the items that fired. Call inside a transaction (the caller's write, or a batch
    of the scan): the firing rows and what the actions did commit or roll back together.
    """
    from crm.tenants.automation import actions

    if not items:
        return []
    with transaction.atomic():
        _insert_firings(rule, kind, items, context.now)
        fired = [item for item in items if item.firing_id]
        if not fired:
            return []
        why = {"operation": "automation", "reason": f"rule {rule.code}", "actor": context.actor}
        with pghistory.context(**why):
            for index, action in enumerate(rule.actions or []):
                _perform(context, rule, kind, index, action, fired, actions)
        _save_outcomes(context, fired)
    return fired


def _consented(kind: records.RecordKind, action: dict[str, Any], items: list[Item]) -> list[Item]:
    """The items an action with `consent` (a purpose) may act on: those whose record's consent
    for it is granted. The others get a `skipped` outcome and nothing is done for them."""
    purpose = action.get("consent")
    if not purpose:
        return items
    from crm.tenants.personaldata.consents import consented_ids
    from crm.tenants.personaldata.models import Purpose, SubjectType

    allowed = consented_ids(
        SubjectType(kind.name), [item.record.pk for item in items], Purpose(purpose)
    )
    for item in items:
        if item.record.pk not in allowed:
            item.outcome.append(
                {"type": action["type"], "skipped": "NO_CONSENT", "purpose": purpose}
            )
    return [item for item in items if item.record.pk in allowed]


def _perform(
    context: Context,
    rule: Rule,
    kind: records.RecordKind,
    index: int,
    action: dict[str, Any],
    items: list[Item],
    actions: Any,
) -> None:
    """One action for all items at once; if that fails, item by item, recording failures.

    Each attempt is a savepoint: a failed one leaves nothing behind (not even the e-mails or
    webhooks it meant to send on commit).
    """
    handler = actions.HANDLERS[action["type"]]
    items = _consented(kind, action, items)
    if not items:
        return
    if len(items) > 1:
        try:
            with transaction.atomic():
                results = handler(context, rule, kind, action, items)
        except Exception:
            logger.info("rule %s action %s: batch failed, one by one", rule.code, index)
        else:
            for item, result in zip(items, results, strict=True):
                item.outcome.append({"type": action["type"], **result})
            return
    for item in items:
        try:
            with transaction.atomic():
                result = handler(context, rule, kind, action, [item])[0]
        except CrmError as error:
            problem = {"code": error.code.value, "message": error.message}
            problem.update({key: str(value) for key, value in error.params.items()})
        except Exception as error:
            logger.exception("automation rule %s action %s failed", rule.code, index)
            problem = {"code": "INTERNAL_ERROR", "message": type(error).__name__}
        else:
            item.outcome.append({"type": action["type"], **result})
            continue
        item.outcome.append({"type": action["type"], "index": index, "error": problem})
