"""What a rule may say, checked when it is saved: trigger parameters, conditions, actions.

Every refusal is INVALID_ARGUMENT naming the part that is wrong, e.g. `parameters.field`,
`conditions[0]`, `actions[1].url`, so a form can point at it. Nothing is saved on a refusal.

Actions (each a JSON object with a `type`):

- `CREATE_TASK` {title: text or {lang: text}, due_in_hours, owner: "owner" | "owner_manager" |
  user id, remind_before_hours?, description?}
- `NOTIFY` {to: {owner?, owner_manager?, roles?: [role codes], users?: [ids],
  roles_if_no_manager?: [role codes]}, subject?, body?} (texts may hold {record}, {rule},
  {record_type}; a text is plain or {lang: text}, read in each recipient's language)
- `SET_FIELD` {field, value} (only the fields `records` lists as settable; lists are added to)
- `ASSIGN` {rule: "assignment_rules"} (leads: the BU's assignment rules again) or {user: id}
- `WEBHOOK` {url, consent?} (https; plain http only to this machine when settings allow it, for
  tests). With `consent` (a purpose, e.g. MARKETING_EMAIL; leads and contacts only), records
  whose consent for it is not granted are skipped: a marketing tool is sent only people who agreed.
- `LOG_ACTIVITY` {subject?, body?} (an ENGAGEMENT activity on the account or contact)
- `CREATE_PAYMENT_PLAN` {} (contracts: the signed contract's payment plan, made once)
"""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q

from crm.platform.accounts.models import Membership, Role, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.automation import records
from crm.tenants.automation.models import RecordType, Trigger
from crm.tenants.leads import conditions as condition_rules
from crm.tenants.models import BusinessUnit

ACTION_TYPES = (
    "CREATE_TASK",
    "NOTIFY",
    "SET_FIELD",
    "ASSIGN",
    "WEBHOOK",
    "LOG_ACTIVITY",
    "CREATE_PAYMENT_PLAN",
)
ACTION_KEYS: dict[str, frozenset[str]] = {
    "CREATE_TASK": frozenset(
        {"title", "description", "due_in_hours", "owner", "remind_before_hours"}
    ),
    "NOTIFY": frozenset({"to", "subject", "body"}),
    "SET_FIELD": frozenset({"field", "value"}),
    "ASSIGN": frozenset({"rule", "user"}),
    "WEBHOOK": frozenset({"url", "consent"}),
    "LOG_ACTIVITY": frozenset({"subject", "body"}),
    "CREATE_PAYMENT_PLAN": frozenset(),
}
RECIPIENT_KEYS = frozenset({"owner", "owner_manager", "roles", "users", "roles_if_no_manager"})
EXTERNAL_KINDS = (
    "EMAIL_OPENED",
    "LINK_CLICKED",
    "EMAIL_REPLIED",
    "EMAIL_BOUNCED",
    "FORM_SUBMITTED",
    "MEETING_BOOKED",
)
ENGAGEMENT_TYPES = (RecordType.OPPORTUNITY, RecordType.ACCOUNT, RecordType.CONTACT)
# Fields the services report changes of besides the condition fields (events.fields_changed).
CHANGE_FIELDS: dict[str, tuple[str, ...]] = {
    RecordType.LEAD: ("source", "products", "email", "phone", "first_name", "last_name"),
    RecordType.OPPORTUNITY: ("products", "primary_contact", "expected_close", "amount"),
    RecordType.ACCOUNT: ("notes",),
    RecordType.CONTACT: ("email", "phone", "mobile", "first_name", "last_name"),
}
PLACEHOLDERS = frozenset({"record", "rule", "record_type"})
MAX_ACTIONS = 10
MAX_HOURS = 24 * 366
TEXT_LIMIT = 300
BODY_LIMIT = 4000


def _bad(field: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=reason)


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(field, "must be an object")
    return value


def _hours(value: Any, field: str, *, minimum: float = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(field, "must be a number of hours")
    if not minimum <= value <= MAX_HOURS:
        raise _bad(field, f"must be between {minimum:g} and {MAX_HOURS}")
    return float(value)


def _keys(value: Mapping[str, Any], allowed: frozenset[str], field: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        prefix = f"{field}." if field else ""
        raise _bad(f"{prefix}{unknown[0]}", f"unknown key; allowed: {', '.join(sorted(allowed))}")


# -- trigger -----------------------------------------------------------------------------------


def clean_parameters(record_type: str, trigger: str, parameters: Any) -> dict[str, Any]:
    kind = records.kind_of(record_type)
    value = dict(_object(parameters if parameters is not None else {}, "parameters"))
    if trigger == Trigger.CREATED:
        _keys(value, frozenset(), "parameters")
    elif trigger == Trigger.FIELD_CHANGED:
        _keys(value, frozenset({"field"}), "parameters")
        name = value.get("field")
        if not isinstance(name, str) or not name:
            raise _bad("parameters.field", "the field whose change triggers the rule")
        known = (*kind.field_names, *CHANGE_FIELDS.get(record_type, ()))
        if kind.available and not condition_rules._known_field(name, known):
            raise _bad("parameters.field", f"unknown field {name!r} of {record_type}")
    elif trigger == Trigger.STAGE_CHANGED:
        _keys(value, frozenset({"from", "to"}), "parameters")
        for end in ("from", "to"):
            if end in value and (not isinstance(value[end], str) or not value[end].strip()):
                raise _bad(f"parameters.{end}", "a stage code")
    elif trigger == Trigger.TIME_ELAPSED:
        _keys(value, frozenset({"since", "fallback", "hours"}), "parameters")
        if not kind.available:
            raise _bad("recordType", f"{record_type} records are not available yet")
        for name in ("since", "fallback"):
            if name == "fallback" and name not in value:
                continue
            if value.get(name) not in kind.since:
                raise _bad(f"parameters.{name}", f"one of {', '.join(kind.since)}")
        value["hours"] = _hours(value.get("hours"), "parameters.hours", minimum=0.01)
    elif trigger == Trigger.EXTERNAL:
        _keys(value, frozenset({"events"}), "parameters")
        events = value.get("events")
        if not isinstance(events, list) or not events:
            raise _bad("parameters.events", "a non-empty list of external event kinds")
        for index, event in enumerate(events):
            if event not in EXTERNAL_KINDS:
                raise _bad(f"parameters.events[{index}]", f"one of {', '.join(EXTERNAL_KINDS)}")
    else:
        raise _bad("trigger", f"one of {', '.join(Trigger.values)}")
    return value


# -- conditions --------------------------------------------------------------------------------


def clean_conditions(record_type: str, conditions: Any) -> list[dict[str, Any]]:
    kind = records.kind_of(record_type)
    if conditions is None:
        return []
    if not isinstance(conditions, list):
        raise _bad("conditions", "must be a list")
    if len(conditions) > condition_rules.MAX_CONDITIONS:
        raise _bad("conditions", f"at most {condition_rules.MAX_CONDITIONS} conditions")
    if conditions and not kind.available:
        raise _bad("conditions", f"{record_type} records are not available yet")
    for index, condition in enumerate(conditions):
        problems = condition_rules.validate([condition], kind.field_names)
        if problems:
            reason = "; ".join(problem.removeprefix("condition 1: ") for problem in problems)
            raise _bad(f"conditions[{index}]", reason)
        spec = kind.field(condition["field"])
        if spec is not None and condition["op"] not in condition_rules.WITHOUT_VALUE:
            _check_value(spec, condition["op"], condition.get("value"), f"conditions[{index}]")
    return [dict(condition) for condition in conditions]


def _check_value(spec: records.ConditionField, op: str, value: Any, field: str) -> None:
    values = value if op == "in" else [value]
    for item in values:
        if spec.kind == records.BOOL and not isinstance(item, bool):
            raise _bad(f"{field}.value", f"{spec.name} is true or false")
        if spec.kind in (records.INT, records.DECIMAL) and (
            isinstance(item, bool) or not _numeric(item)
        ):
            raise _bad(f"{field}.value", f"{spec.name} is a number")
        if spec.kind in (records.DATETIME, records.DATE) and not _date_text(item):
            raise _bad(f"{field}.value", f"{spec.name} is an ISO date or date-time")


def _numeric(value: Any) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _date_text(value: Any) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True


# -- actions -----------------------------------------------------------------------------------


def clean_actions(
    business_unit: BusinessUnit, record_type: str, trigger: str, actions: Any
) -> list[dict[str, Any]]:
    if not isinstance(actions, list) or not actions:
        raise _bad("actions", "a non-empty list of actions")
    if len(actions) > MAX_ACTIONS:
        raise _bad("actions", f"at most {MAX_ACTIONS} actions")
    return [
        _clean_action(business_unit, record_type, trigger, action, f"actions[{index}]")
        for index, action in enumerate(actions)
    ]


def _clean_action(
    business_unit: BusinessUnit, record_type: str, trigger: str, action: Any, field: str
) -> dict[str, Any]:
    value = dict(_object(action, field))
    kind_name = value.pop("type", None)
    if kind_name not in ACTION_TYPES:
        raise _bad(f"{field}.type", f"one of {', '.join(ACTION_TYPES)}")
    _keys(value, ACTION_KEYS[kind_name], field)
    kind = records.kind_of(record_type)
    if kind_name == "CREATE_PAYMENT_PLAN":
        if record_type != RecordType.CONTRACT:
            raise _bad(f"{field}.type", "CREATE_PAYMENT_PLAN acts on contracts")
        return {"type": kind_name}
    if not kind.available and kind_name != "NOTIFY":
        raise _bad(f"{field}.type", f"{record_type} records are not available yet")
    if kind_name == "CREATE_TASK":
        value["title"] = _text(value.get("title"), f"{field}.title", required=True)
        if "description" in value:
            value["description"] = _text(value["description"], f"{field}.description")
        due = _hours(value.get("due_in_hours"), f"{field}.due_in_hours")
        value["due_in_hours"] = due
        if "remind_before_hours" in value:
            value["remind_before_hours"] = _hours(
                value["remind_before_hours"], f"{field}.remind_before_hours"
            )
        owner = value.get("owner", "owner")
        if owner not in ("owner", "owner_manager"):
            owner = _users(business_unit, [owner], f"{field}.owner")[0]
        value["owner"] = owner
    elif kind_name == "NOTIFY":
        value["to"] = _recipients(business_unit, value.get("to"), f"{field}.to")
        for name in ("subject", "body"):
            if name in value:
                value[name] = _text(value[name], f"{field}.{name}")
    elif kind_name == "SET_FIELD":
        field_name = value.get("field")
        settable = kind.settable_field(field_name) if isinstance(field_name, str) else None
        if settable is None:
            allowed = ", ".join(f.name for f in kind.settable) or "none"
            raise _bad(f"{field}.field", f"not settable on {record_type}; settable: {allowed}")
        value["value"] = _settable_value(settable, value.get("value"), f"{field}.value")
    elif kind_name == "ASSIGN":
        if ("rule" in value) == ("user" in value):
            raise _bad(field, "either rule (assignment_rules) or user")
        if "rule" in value:
            if value["rule"] != "assignment_rules" or record_type != RecordType.LEAD:
                raise _bad(f"{field}.rule", "assignment_rules, for leads")
        else:
            if not kind.owner_attr:
                raise _bad(f"{field}.user", f"{record_type} records have no owner")
            value["user"] = _users(business_unit, [value["user"]], f"{field}.user")[0]
    elif kind_name == "WEBHOOK":
        value["url"] = clean_url(value.get("url"), f"{field}.url")
        if "consent" in value:
            value["consent"] = _consent_purpose(record_type, value["consent"], f"{field}.consent")
    elif kind_name == "LOG_ACTIVITY":
        if record_type not in ENGAGEMENT_TYPES:
            raise _bad(f"{field}.type", "LOG_ACTIVITY acts on opportunities, accounts, contacts")
        for name in ("subject", "body"):
            if name in value:
                value[name] = _text(value[name], f"{field}.{name}")
    return {"type": kind_name, **value}


def _consent_purpose(record_type: str, value: Any, field: str) -> str:
    from crm.tenants.personaldata.models import Purpose

    if record_type not in (RecordType.LEAD, RecordType.CONTACT):
        raise _bad(field, "consent applies to leads and contacts")
    if value not in Purpose.values:
        raise _bad(field, f"one of {', '.join(Purpose.values)}")
    return str(value)


def _text(value: Any, field: str, *, required: bool = False) -> Any:
    """Plain text or {language: text}; placeholders only {record}, {rule}, {record_type}."""
    if value is None or value == "" or value == {}:
        if required:
            raise _bad(field, "required")
        return ""
    texts = value if isinstance(value, Mapping) else {"": value}
    languages = {code for code, _name in settings.LANGUAGES}
    for language, text in texts.items():
        where = f"{field}.{language}" if language else field
        if language and language not in languages:
            raise _bad(where, f"unknown language; one of {', '.join(sorted(languages))}")
        if not isinstance(text, str) or not text.strip():
            raise _bad(where, "a non-empty text")
        if len(text) > BODY_LIMIT:
            raise _bad(where, f"at most {BODY_LIMIT} characters")
        try:
            names = {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}
        except ValueError:
            raise _bad(where, "unbalanced braces") from None
        unknown = sorted(names - PLACEHOLDERS)
        if unknown:
            raise _bad(where, f"unknown placeholder {{{unknown[0]}}}; use {{record}}, {{rule}}")
    return dict(value) if isinstance(value, Mapping) else value


def _settable_value(settable: records.SettableField, value: Any, field: str) -> Any:
    if settable.kind == records.BOOL:
        if not isinstance(value, bool):
            raise _bad(field, "true or false")
        return value
    if not isinstance(value, str) or len(value) > 40 or (settable.mode == "add" and not value):
        raise _bad(field, "a text of at most 40 characters")
    if settable.choices and value not in settable.choices:
        raise _bad(field, f"one of {', '.join(repr(choice) for choice in settable.choices)}")
    return value


def _recipients(business_unit: BusinessUnit, value: Any, field: str) -> dict[str, Any]:
    to = dict(_object(value, field))
    _keys(to, RECIPIENT_KEYS, field)
    for flag in ("owner", "owner_manager"):
        if flag in to and not isinstance(to[flag], bool):
            raise _bad(f"{field}.{flag}", "true or false")
    for name in ("roles", "roles_if_no_manager"):
        if name in to:
            to[name] = _roles(business_unit, to[name], f"{field}.{name}")
    if "users" in to:
        to["users"] = _users(business_unit, to["users"], f"{field}.users")
    if not (to.get("owner") or to.get("owner_manager") or to.get("roles") or to.get("users")):
        raise _bad(field, "name at least one recipient: owner, owner_manager, roles or users")
    return to


def _roles(business_unit: BusinessUnit, value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise _bad(field, "a list of role codes")
    known = set(
        Role.objects.filter(group_id=business_unit.group_id, code__in=value).values_list(
            "code", flat=True
        )
    )
    for index, code in enumerate(value):
        if code not in known:
            raise _bad(f"{field}[{index}]", f"no role {code!r} in this group")
    return list(dict.fromkeys(value))


def _users(business_unit: BusinessUnit, value: Any, field: str) -> list[int]:
    """Users holding a role in this BU (or at group level in its group), active."""
    if not isinstance(value, list) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) for pk in value
    ):
        raise _bad(field, "user ids (numbers)")
    members = Membership.objects.filter(group_id=business_unit.group_id).filter(
        Q(business_unit__isnull=True) | Q(business_unit=business_unit)
    )
    known = set(
        User.objects.filter(pk__in=value, is_active=True, group_id=business_unit.group_id)
        .filter(pk__in=members.values("user_id"))
        .values_list("pk", flat=True)
    )
    for index, pk in enumerate(value):
        if pk not in known:
            where = f"{field}[{index}]" if len(value) > 1 or field.endswith("s") else field
            raise _bad(where, f"user {pk} holds no role in this business unit")
    return list(dict.fromkeys(value))


def clean_url(value: Any, field: str) -> str:
    """An https URL to a public host; http only to this machine when settings allow it."""
    if not isinstance(value, str) or len(value) > 500:
        raise _bad(field, "a URL of at most 500 characters")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise _bad(field, "not a valid URL") from None
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise _bad(field, "a URL with a host and no user or password")
    local = host in ("localhost", "127.0.0.1", "::1")
    if parts.scheme == "http" and local and _local_allowed():
        return value
    if parts.scheme != "https":
        raise _bad(field, "must use https")
    if (local or _private_address(host)) and not _local_allowed():
        raise _bad(field, "must be a public host")
    del port
    return value


def _local_allowed() -> bool:
    return bool(getattr(settings, "AUTOMATION_WEBHOOKS_ALLOW_LOCAL", False))


def _private_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.endswith((".local", ".internal", ".localhost"))
    return not address.is_global


def check_activation(record_type: str, active: bool) -> None:
    if active and not records.kind_of(record_type).available:
        raise _bad(
            "active",
            f"{record_type} rules can be kept but not activated until {record_type} records "
            "exist (issue #7)",
        )
