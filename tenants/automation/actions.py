"""What a rule does when it fires, for a batch of records at once (the scan fires hundreds at a
time; an event fires one). Each handler returns one outcome per item, in order, with the ids of
what it made, so `Firing.outcome` says exactly what the rule did.

E-mails and webhooks leave the database only after the transaction commits: the handler stores
the `Notification` or `WebhookDelivery` row (the outbox) and, on commit, queues a task with its
id. The task reads the recipient's address itself; no address or other personal data travels in
a message.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models, transaction
from django.db.models import F, Func, Q, Value
from django.utils import translation
from django.utils.translation import gettext as _

from crm.graphql.core.ids import scoped_global_id
from crm.i18n.languages import fallback_chain, translated
from crm.platform.accounts.models import Membership, Team, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.automation import records
from crm.tenants.automation.engine import Context, Item
from crm.tenants.automation.models import Notification, RecordType, Rule, WebhookDelivery
from crm.tenants.db import tenant_connection

Outcome = dict[str, Any]
Handler = Callable[
    [Context, Rule, records.RecordKind, dict[str, Any], Sequence[Item]], list[Outcome]
]

GRAPHQL_TYPES = {
    RecordType.LEAD: "Lead",
    RecordType.ACCOUNT: "Account",
    RecordType.CONTACT: "Contact",
    RecordType.OPPORTUNITY: "Opportunity",
    RecordType.TASK: "Task",
    RecordType.CONTRACT: "Contract",
}
SEND_CHUNK = 200


# -- people ------------------------------------------------------------------------------------


def _teams(
    context: Context,
) -> tuple[dict[int, tuple[int | None, int | None]], dict[int, set[int]]]:
    """The BU's teams {id: (parent, manager)} and each user's teams, read once per run."""
    cached = context.cache.get("teams")
    if cached is None:
        business_unit = context.business_unit
        teams: dict[int, tuple[int | None, int | None]] = {
            pk: (parent, manager)
            for pk, parent, manager in Team.objects.filter(business_unit=business_unit).values_list(
                "id", "parent_id", "manager_id"
            )
        }
        member_of: dict[int, set[int]] = {}
        for team_id, user_id in Team.members.through.objects.filter(
            team_id__in=list(teams)
        ).values_list("team_id", "user_id"):
            member_of.setdefault(user_id, set()).add(team_id)
        cached = (teams, member_of)
        context.cache["teams"] = cached
    found: tuple[dict[int, tuple[int | None, int | None]], dict[int, set[int]]] = cached
    return found


def managers_of(context: Context, owner_id: int | None) -> list[int]:
    """The manager of each team the owner is in (the nearest above when the owner manages it)."""
    if owner_id is None:
        return []
    teams, member_of = _teams(context)
    starts = set(member_of.get(owner_id, set()))
    starts |= {pk for pk, (_parent, manager) in teams.items() if manager == owner_id}
    found: list[int] = []
    for start in sorted(starts):
        team: int | None = start
        seen: set[int] = set()
        while team is not None and team not in seen:
            seen.add(team)
            parent, manager = teams[team]
            if manager is not None and manager != owner_id:
                found.append(manager)
                break
            team = parent
    return list(dict.fromkeys(found))


def role_holders(context: Context, codes: Sequence[str]) -> list[int]:
    """Active users holding one of the roles in this BU or at group level."""
    key = ("roles", tuple(sorted(codes)))
    if key not in context.cache:
        business_unit = context.business_unit
        context.cache[key] = list(
            Membership.objects.filter(
                Q(business_unit=business_unit) | Q(business_unit__isnull=True),
                group_id=business_unit.group_id,
                role__code__in=list(codes),
                user__is_active=True,
            )
            .order_by("user_id")
            .values_list("user_id", flat=True)
            .distinct()
        )
    return list(context.cache[key])


def _languages(context: Context, user_ids: set[int]) -> dict[int, str]:
    known: dict[int, str] = context.cache.setdefault("languages", {})
    missing = user_ids - set(known)
    if missing:
        known.update(
            User.objects.filter(pk__in=missing, is_active=True).values_list("pk", "language")
        )
    return known


def chain_for(context: Context, language: str) -> list[str]:
    key = ("chain", language)
    if key not in context.cache:
        business_unit = context.business_unit
        context.cache[key] = fallback_chain(
            language or business_unit.language,
            business_unit.language,
            business_unit.fallback_languages,
            business_unit.group.default_language,
        )
    chain: list[str] = context.cache[key]
    return chain


def _names(context: Context, rule: Rule, kind: records.RecordKind, language: str) -> dict[str, str]:
    """The rule's name and the record type's label in `language`, once per run."""
    key = ("names", rule.pk, kind.name, language)
    if key not in context.cache:
        chain = chain_for(context, language)
        with translation.override(chain[0]):
            context.cache[key] = {
                "rule": translated(rule, "name", chain),
                "record_type": str(RecordType(kind.name).label),
            }
    names: dict[str, str] = context.cache[key]
    return names


def render(
    context: Context, rule: Rule, kind: records.RecordKind, text: Any, record: Any, language: str
) -> str:
    """A rule's text in `language` (along the BU's fallbacks), placeholders filled."""
    if not text:
        return ""
    if isinstance(text, dict):
        chain = chain_for(context, language)
        chosen = next(
            (
                text.get(code) or text.get(code.replace("-", "_"))
                for code in chain
                if text.get(code) or text.get(code.replace("-", "_"))
            ),
            None,
        )
        text = chosen if chosen is not None else next(iter(text.values()), "")
    template = str(text)
    if "{" not in template:
        return template
    values = {**_names(context, rule, kind, language), "record": kind.label(record)}
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError):
        return template


def _owner_for_task(context: Context, kind: records.RecordKind, owner: Any, record: Any) -> int:
    record_owner = kind.owner_of(record)
    if owner == "owner":
        chosen = record_owner
    elif owner == "owner_manager":
        managers = managers_of(context, record_owner)
        chosen = managers[0] if managers else record_owner
    else:
        chosen = int(owner)
    if chosen is None:
        raise CrmError(
            ErrorCode.INVALID_ASSIGNEE,
            field="owner",
            object="task",
            user="-",
            reason="the record has no owner",
        )
    return chosen


def _links(kind: records.RecordKind, record: Any) -> dict[str, Any]:
    """Which record a task or activity is about (and its account, when it has one)."""
    if kind.name == RecordType.LEAD:
        return {"lead_id": record.pk}
    if kind.name == RecordType.ACCOUNT:
        return {"account_id": record.pk}
    if kind.name == RecordType.CONTACT:
        return {"contact_id": record.pk, "account_id": record.account_id}
    if kind.name == RecordType.OPPORTUNITY:
        return {
            "opportunity_id": record.pk,
            "account_id": record.account_id,
            "contact_id": record.primary_contact_id,
        }
    return {}


def _after_commit(task: Any, argument_lists: list[list[Any]]) -> None:
    """Queue `task` once per argument list after commit, in this BU's schema."""
    schema = tenant_connection().schema_name

    def send() -> None:
        for arguments in argument_lists:
            task.apply_async(args=arguments, headers={"_schema_name": schema})

    transaction.on_commit(send)


# -- the actions -------------------------------------------------------------------------------


def create_task(
    context: Context,
    rule: Rule,
    kind: records.RecordKind,
    action: dict[str, Any],
    items: Sequence[Item],
) -> list[Outcome]:
    from crm.tenants.contacts.models import Task

    due = context.now + datetime.timedelta(hours=float(action["due_in_hours"]))
    remind = action.get("remind_before_hours")
    tasks = []
    for item in items:
        owner_id = _owner_for_task(context, kind, action.get("owner", "owner"), item.record)
        language = _languages(context, {owner_id}).get(owner_id, "")
        tasks.append(
            Task(
                title=render(context, rule, kind, action["title"], item.record, language)[:300],
                description=render(
                    context, rule, kind, action.get("description") or "", item.record, language
                ),
                due_at=due,
                remind_at=due - datetime.timedelta(hours=float(remind)) if remind else None,
                owner_id=owner_id,
                rule_id=rule.pk,
                created_at=context.now,
                **(_links(kind, item.record) if kind.name != RecordType.TASK else {}),
            )
        )
    Task.objects.bulk_create(tasks)
    return [{"task": task.pk, "owner": task.owner_id} for task in tasks]


def recipients(
    context: Context, kind: records.RecordKind, to: dict[str, Any], record: Any
) -> list[int]:
    owner = kind.owner_of(record)
    people: list[int] = []
    if to.get("owner") and owner is not None:
        people.append(owner)
    if to.get("owner_manager"):
        managers = managers_of(context, owner)
        people.extend(managers)
        if not managers and to.get("roles_if_no_manager"):
            people.extend(role_holders(context, to["roles_if_no_manager"]))
    if to.get("roles"):
        people.extend(role_holders(context, to["roles"]))
    people.extend(int(pk) for pk in to.get("users") or [])
    return list(dict.fromkeys(people))


def notify(
    context: Context,
    rule: Rule,
    kind: records.RecordKind,
    action: dict[str, Any],
    items: Sequence[Item],
) -> list[Outcome]:
    from crm.tenants.automation.tasks import send_notifications_task

    per_item = [recipients(context, kind, action["to"], item.record) for item in items]
    languages = _languages(context, {pk for people in per_item for pk in people})
    notifications: list[Notification] = []
    for item, people in zip(items, per_item, strict=True):
        for user_id in people:
            if user_id not in languages:  # inactive or gone: no notification
                continue
            language = languages[user_id]
            subject = action.get("subject") or {}
            if subject:
                text = render(context, rule, kind, subject, item.record, language)
            else:
                with translation.override(chain_for(context, language)[0]):
                    text = render(context, rule, kind, _("{rule}: {record}"), item.record, language)
            notifications.append(
                Notification(
                    recipient_id=user_id,
                    subject=text[:300],
                    body=render(
                        context, rule, kind, action.get("body") or "", item.record, language
                    ),
                    record_type=kind.name,
                    record_id=item.record.pk,
                    rule=rule,
                    created_at=context.now,
                )
            )
    Notification.objects.bulk_create(notifications)
    ids = [notification.pk for notification in notifications]
    if ids:
        _after_commit(
            send_notifications_task,
            [[ids[i : i + SEND_CHUNK]] for i in range(0, len(ids), SEND_CHUNK)],
        )
    by_record: dict[int, list[Notification]] = {}
    for notification in notifications:
        by_record.setdefault(int(notification.record_id or 0), []).append(notification)
    return [
        {
            "notifications": [n.pk for n in by_record.get(item.record.pk, [])],
            "recipients": [n.recipient_id for n in by_record.get(item.record.pk, [])],
        }
        for item in items
    ]


def set_field(
    context: Context,
    rule: Rule,
    kind: records.RecordKind,
    action: dict[str, Any],
    items: Sequence[Item],
) -> list[Outcome]:
    name, value = action["field"], action["value"]
    settable = kind.settable_field(name)
    if settable is None:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="field", reason=f"{name} is not settable")
    model = kind.model
    ids = [item.record.pk for item in items]
    changes: dict[str, Any] = {}
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        changes["updated_at"] = context.now
    rows = model._default_manager.filter(pk__in=ids)
    if settable.mode == "add":
        changes[name] = Func(
            F(name),
            Value(value),
            function="array_append",
            output_field=ArrayField(models.CharField()),
        )
        rows.exclude(**{f"{name}__contains": [value]}).update(**changes)
        for item in items:
            current = list(getattr(item.record, name) or [])
            if value not in current:
                setattr(item.record, name, [*current, value])
    else:
        rows.exclude(**{name: value}).update(**{**changes, name: value})
        for item in items:
            setattr(item.record, name, value)
    return [{"field": name, "value": value} for _item in items]


def assign(
    context: Context,
    rule: Rule,
    kind: records.RecordKind,
    action: dict[str, Any],
    items: Sequence[Item],
) -> list[Outcome]:
    from crm.tenants.leads import routing
    from crm.tenants.leads.models import LeadAssignment

    outcomes: list[Outcome] = []
    for item in items:
        record = item.record
        before = kind.owner_of(record)
        routing_rule = None
        if action.get("rule") == "assignment_rules":
            chosen = routing.choose_owner(context.system, _lead_facts(context, record))
            if chosen is None:
                outcomes.append({"owner": before, "assigned": False})
                continue
            routing_rule, user_id = chosen
        else:
            user_id = routing.check_assignee(context.system, int(action["user"]))
        if user_id != before:
            kind.model._default_manager.filter(pk=record.pk).update(**{kind.owner_attr: user_id})
            setattr(record, kind.owner_attr, user_id)
            if kind.name == RecordType.LEAD:
                LeadAssignment.objects.create(
                    lead_id=record.pk,
                    from_user_id=before,
                    to_user_id=user_id,
                    rule=routing_rule,
                    actor=f"automation:{rule.code}",
                    reason=f"automation rule {rule.code}",
                    at=context.now,
                )
        outcomes.append({"owner": user_id, "assigned": user_id != before})
    return outcomes


def _lead_facts(context: Context, lead: Any) -> dict[str, Any]:
    """The lead as assignment rules read it (source and campaign as codes)."""
    from crm.masterdata.sales.models import LeadSource

    facts = {name: getattr(lead, name, None) for name in records.kind_of("lead").facts(lead)}
    facts.update(
        {
            name: getattr(lead, name)
            for name in ("first_name", "last_name", "email", "phone", "message", "custom")
        }
    )
    facts["campaign"] = lead.campaign.code if lead.campaign_id else ""
    source = (
        LeadSource.objects.filter(pk=lead.source_id).values_list("code", flat=True).first()
        if lead.source_id
        else None
    )
    facts["source"] = source or ""
    del context
    return facts


def webhook(
    context: Context,
    rule: Rule,
    kind: records.RecordKind,
    action: dict[str, Any],
    items: Sequence[Item],
) -> list[Outcome]:
    from crm.tenants.automation.tasks import deliver_webhook

    event = context.event
    deliveries = []
    for item in items:
        event_id = uuid.uuid4()
        deliveries.append(
            WebhookDelivery(
                rule=rule,
                url=action["url"],
                event_id=event_id,
                payload={
                    "event_id": str(event_id),
                    "business_unit": context.business_unit.handle,
                    "rule": rule.code,
                    "trigger": rule.trigger,
                    "record_type": kind.name,
                    "record_id": scoped_global_id(
                        GRAPHQL_TYPES[RecordType(kind.name)], item.record.pk
                    ),
                    "occurrence": item.occurrence,
                    "external_kind": event.kind if event is not None else "",
                    "fired_at": context.now.isoformat(),
                },
                created_at=context.now,
            )
        )
    WebhookDelivery.objects.bulk_create(deliveries)
    _after_commit(deliver_webhook, [[delivery.pk] for delivery in deliveries])
    return [
        {"delivery": delivery.pk, "event_id": str(delivery.event_id)} for delivery in deliveries
    ]


def log_activity(
    context: Context,
    rule: Rule,
    kind: records.RecordKind,
    action: dict[str, Any],
    items: Sequence[Item],
) -> list[Outcome]:
    from crm.tenants.contacts.models import Activity, ActivityKind

    event = context.event
    occurred = context.now
    if event is not None and event.details.get("occurred_at"):
        occurred = event.details["occurred_at"]
    activities = []
    for item in items:
        language = context.business_unit.language
        if action.get("subject"):
            subject = render(context, rule, kind, action["subject"], item.record, language)
        else:
            with translation.override(chain_for(context, "")[0]):
                what = {
                    "EMAIL_OPENED": _("E-mail opened"),
                    "LINK_CLICKED": _("Link clicked"),
                }.get(event.kind if event is not None else "", _("Customer engagement"))
                subject = f"{what}: {kind.label(item.record)}"
        links = _links(kind, item.record)
        activities.append(
            Activity(
                kind=ActivityKind.ENGAGEMENT,
                subject=subject[:300],
                body=render(context, rule, kind, action.get("body") or "", item.record, language),
                occurred_at=occurred,
                owner_id=kind.owner_of(item.record),
                created_at=context.now,
                **{key: value for key, value in links.items() if key != "lead_id"},
            )
        )
    Activity.objects.bulk_create(activities)
    return [{"activity": activity.pk} for activity in activities]


def create_payment_plan(
    context: Context,
    rule: Rule,
    kind: records.RecordKind,
    action: dict[str, Any],
    items: Sequence[Item],
) -> list[Outcome]:
    """The signed contract's payment plan (`crm.tenants.contracts.payments`). Signing already
    makes it, so this normally finds it (`created: false`); it never makes a second one."""
    from crm.tenants.contracts.payments import create_payment_plan as make_plan

    outcomes: list[Outcome] = []
    for item in items:
        instalments, created = make_plan(item.record)
        outcomes.append({"instalments": [row.pk for row in instalments], "created": created})
    return outcomes


HANDLERS: dict[str, Handler] = {
    "CREATE_TASK": create_task,
    "NOTIFY": notify,
    "SET_FIELD": set_field,
    "ASSIGN": assign,
    "WEBHOOK": webhook,
    "LOG_ACTIVITY": log_activity,
    "CREATE_PAYMENT_PLAN": create_payment_plan,
}
