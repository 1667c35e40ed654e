"""The BU's lead work: capture, edit, assign, qualify or mark invalid, convert.

Every write is one transaction under the policy: bad input is refused with a typed error before
anything is written, and the automation events are emitted inside the transaction, after the
write. Capture (web forms, integrators) is idempotent by key: a resubmitted form is the same
lead, never a second one, and a web form never loses a lead to a suspected duplicate (it is
captured, flagged and tagged `duplicate-suspected`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Func, Q, QuerySet, Value
from django.utils import timezone

from crm.masterdata.access import MATERIAL
from crm.masterdata.customers import identity
from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import Customer, CustomerStatus
from crm.masterdata.governance import services as governance
from crm.masterdata.governance.models import ChangeRequest, RequestStatus
from crm.masterdata.models import Material
from crm.masterdata.sales.models import LeadSource
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible
from crm.tenants.automation import events
from crm.tenants.contacts.models import Contact
from crm.tenants.customfields.models import FieldRequirement
from crm.tenants.customfields.services import clean_custom, missing_required
from crm.tenants.leads import routing
from crm.tenants.leads.access import LEAD
from crm.tenants.leads.models import (
    OPEN_LEAD_STATUSES,
    Campaign,
    InvalidReason,
    Lead,
    LeadAssignment,
    LeadStatus,
)
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.personaldata import consents as personal_consents
from crm.tenants.personaldata.access import CONSENT
from crm.tenants.personaldata.models import ConsentSource

DUPLICATE_TAG = "duplicate-suspected"
CLOSED = (LeadStatus.CONVERTED, LeadStatus.INVALID)
KEY_LENGTH = 100

# Input name (model attribute) -> (governed field, argument name in errors, max length).
TEXT_FIELDS: dict[str, tuple[str, str, int]] = {
    "first_name": ("first_name", "firstName", 100),
    "last_name": ("last_name", "lastName", 100),
    "company_name": ("company_name", "companyName", 300),
    "email": ("email", "email", 254),
    "phone": ("phone", "phone", 40),
    "country": ("country", "country", 2),
    "region": ("region", "region", 100),
    "industry": ("industry", "industry", 40),
    "message": ("message", "message", 10000),
}
# Everything a lead input may carry: text fields, and these.
OTHER_FIELDS = {
    "source": ("source", "source"),
    "campaign": ("campaign", "campaign"),
    "product_ids": ("products", "products"),
    "custom": ("custom_fields", "customFields"),
}
# A required field (FieldRequirement.field, a model attribute or governed name) -> attribute.
REQUIREMENT_ATTRIBUTES = {
    "source": "source_id",
    "campaign": "campaign_id",
    "products": "product_ids",
}
_PHONE_NOISE = re.compile(r"[\s\-./()]+")


def argument_name(name: str) -> str:
    """The GraphQL argument of a model attribute (e.g. company_name -> companyName)."""
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


# -- input ---------------------------------------------------------------------------------------


def normalized_email(value: str) -> str:
    return value.strip().lower()


def normalized_phone(value: str) -> str:
    """Digits, with a leading + kept: "+49 (89) 123-45" -> "+498912345"."""
    text = _PHONE_NOISE.sub("", value.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    return text


def _clean_text(name: str, value: Any) -> str:
    _governed, argument, limit = TEXT_FIELDS[name]
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=argument, reason=f"at most {limit} characters"
        )
    if not text:
        return ""
    if name == "email":
        text = normalized_email(text)
        try:
            validate_email(text)
        except ValidationError:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="email", reason="not an e-mail address"
            ) from None
    elif name == "phone":
        text = normalized_phone(text)
        if not re.fullmatch(r"\+?[0-9]{4,20}", text):
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="phone", reason="a phone number of digits"
            )
    elif name == "country":
        code = text.upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="country",
                reason=f"{text!r} is not an ISO 3166-1 alpha-2 code",
            )
        text = code
    return text


def source_by_code(access: Access, code: str) -> LeadSource:
    """An active lead source of the caller's group by code, or NOT_FOUND."""
    source = LeadSource.objects.filter(
        group_id=access.business_unit.group_id, code=code.strip(), active=True
    ).first()
    if source is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="source", object="lead source", id=code)
    return source


def campaign_by_code(code: str) -> Campaign:
    campaign = Campaign.objects.filter(code=code.strip(), active=True).first()
    if campaign is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="campaign", object="campaign", id=code)
    return campaign


def visible_materials(access: Access, ids: list[int]) -> list[Material]:
    """The golden materials `ids` the caller may view, in the order given; else NOT_FOUND."""
    records = Material.objects.filter(group_id=access.business_unit.group_id, pk__in=ids)
    found = {m.pk: m for m in access.visible(MATERIAL, records).select_related("category")}
    for pk in ids:
        if pk not in found:
            raise CrmError(ErrorCode.NOT_FOUND, field="products", object="material", id=pk)
    return [found[pk] for pk in dict.fromkeys(ids)]


@dataclass
class Cleaned:
    """A lead input, validated: attribute values to set, and the governed fields it writes."""

    values: dict[str, Any] = field(default_factory=dict)
    governed: list[str] = field(default_factory=list)
    custom: dict[str, Any] | None = None


def clean_input(access: Access, data: Mapping[str, Any], *, current: Lead | None = None) -> Cleaned:
    """Validate a lead input ({attribute: value}); only the keys present are changed."""
    cleaned = Cleaned()
    for name in TEXT_FIELDS:
        if name in data:
            cleaned.values[name] = _clean_text(name, data[name])
            cleaned.governed.append(TEXT_FIELDS[name][0])
    if "source" in data:
        code = data["source"]
        cleaned.values["source_id"] = source_by_code(access, code).pk if code else None
        cleaned.governed.append("source")
    if "campaign" in data:
        code = data["campaign"]
        campaign = campaign_by_code(code) if code else None
        cleaned.values["campaign"] = campaign
        cleaned.governed.append("campaign")
        if campaign is not None and not data.get("source"):
            source_id = current.source_id if current is not None else None
            cleaned.values["source_id"] = source_id or campaign.source_id
    if "product_ids" in data:
        materials = visible_materials(access, list(data["product_ids"] or []))
        cleaned.values["product_ids"] = [m.pk for m in materials]
        categories = [m.category.code for m in materials if m.category is not None]
        cleaned.values["product_line"] = categories[0] if categories else ""
        cleaned.governed += ["products", "product_line"]
    if data.get("custom") is not None:
        cleaned.custom = clean_custom(
            "lead", data["custom"], current=current.custom if current is not None else None
        )
        cleaned.governed.append("custom_fields")
    return cleaned


def require_fields(lead: Lead, *, stage: str = "", stages: tuple[str, ...] = ()) -> None:
    """REQUIRED_FIELD_MISSING naming the first field the BU requires that `lead` lacks."""
    reached = {"", stage, *stages}
    for requirement in FieldRequirement.objects.filter(record_type="lead").order_by("field"):
        if requirement.from_stage not in reached:
            continue
        attribute = REQUIREMENT_ATTRIBUTES.get(requirement.field, requirement.field)
        value = getattr(lead, attribute, None)
        if value is None or value == "" or value == []:
            raise CrmError(
                ErrorCode.REQUIRED_FIELD_MISSING,
                field=argument_name(requirement.field),
                object="lead",
            )
    for name in missing_required("lead", lead, stage=stage, stages=stages):
        if name.startswith("customFields."):
            raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field=name, object="lead")


def facts(lead: Lead) -> dict[str, Any]:
    """What conditions of tag, assignment and automation rules read of a lead."""
    values: dict[str, Any] = {
        name: getattr(lead, name) for name in routing.CONDITION_FIELDS if hasattr(lead, name)
    }
    source = LeadSource.objects.filter(pk=lead.source_id).first() if lead.source_id else None
    values["source"] = source.code if source is not None else ""
    values["campaign"] = lead.campaign.code if lead.campaign is not None else ""
    values["custom"] = lead.custom
    return values


# -- duplicates ------------------------------------------------------------------------------------


def find_duplicates(access: Access, lead: Lead) -> list[dict[str, Any]]:
    """Open leads and contacts with the same e-mail or phone, and golden customers of the group
    with the same normalized company name in the same country."""
    found: list[dict[str, Any]] = []
    same: Q = Q(pk__in=[])
    if lead.email:
        same |= Q(email=lead.email)  # kept in lower case: the index serves it
    if lead.phone:
        same |= Q(phone=lead.phone)
    if lead.email or lead.phone:
        others = Lead.objects.filter(same, status__in=OPEN_LEAD_STATUSES).exclude(pk=lead.pk)
        for other in others.order_by("id")[:10]:
            found.append(_duplicate("LEAD", other.pk, _reason(lead, other.email, other.phone)))
        # Contacts keep phones as typed ("+49 89 777"): compared without the punctuation.
        contacts = Contact.objects.annotate(
            phone_digits=_digits("phone"), mobile_digits=_digits("mobile")
        )
        contact_same = Q(pk__in=[])
        if lead.email:
            contact_same |= Q(email__iexact=lead.email)
        if lead.phone:
            contact_same |= Q(phone_digits=lead.phone) | Q(mobile_digits=lead.phone)
        for contact in contacts.filter(contact_same).order_by("id")[:10]:
            reason = "EMAIL" if lead.email and contact.email.lower() == lead.email else "PHONE"
            found.append(_duplicate("CONTACT", contact.pk, reason))
    if lead.company_name and lead.country:
        name = identity.normalized_name(lead.company_name)
        if name:
            customers = Customer.objects.filter(
                group_id=access.business_unit.group_id, country=lead.country, normalized_name=name
            ).exclude(status=CustomerStatus.MERGED)
            for customer in customers.order_by("code")[:10]:
                found.append(_duplicate("CUSTOMER", customer.pk, "COMPANY_NAME"))
    return found


def _digits(column: str) -> Func:
    """The phone in `column` as leads keep it: digits and a leading +, "00" read as "+"."""
    stripped = Func(
        F(column),
        Value(r"[^0-9+]"),
        Value(""),
        Value("g"),
        function="regexp_replace",
        output_field=CharField(),
    )
    return Func(
        stripped, Value("^00"), Value("+"), function="regexp_replace", output_field=CharField()
    )


def _reason(lead: Lead, email: str, phone: str) -> str:
    if lead.email and email and email.lower() == lead.email:
        return "EMAIL"
    if lead.phone and phone == lead.phone:
        return "PHONE"
    return ""


def _duplicate(kind: str, pk: int, reason: str) -> dict[str, Any]:
    return {"kind": kind, "id": pk, "reason": reason}


# -- capture and create ------------------------------------------------------------------------


@dataclass(frozen=True)
class Captured:
    lead: Lead
    created: bool  # False: the idempotency key's earlier lead


def _digest(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {key: data[key] for key in sorted(data) if data[key] not in (None, "", [], {})},
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotent(key: str, digest: str) -> Lead | None:
    existing = Lead.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.capture_digest != digest:
        raise CrmError(
            ErrorCode.IDEMPOTENCY_CONFLICT, field="idempotencyKey", key=key, object="lead"
        )
    return existing


def capture_lead(
    access: Access,
    data: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    channel: str = "API",
    assign_by_rules: bool = True,
    owner_id: int | None = None,
    consents: Sequence[Mapping[str, Any]] | None = None,
) -> Captured:
    """A new lead from `data` ({attribute: value}), tagged, checked for duplicates and assigned.

    `owner_id` (a manager's choice) is the owner; else, with `assign_by_rules`, the BU's
    assignment rules choose one; failing that, a person capturing it keeps it (an API key's
    lead stays in the pool). The same `idempotency_key` with the same
    content returns the first lead; with other content it is an IDEMPOTENCY_CONFLICT.
    `consents` ({purpose, granted, at?, source?, evidence?}) are recorded with the lead (their
    source defaults to the channel's: WEB_FORM for FORM, IMPORT for IMPORT).
    """
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > KEY_LENGTH:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="idempotencyKey",
            reason=f"at most {KEY_LENGTH} characters",
        )
    access.require(Action.CREATE, LEAD)  # refused before the input is even looked at
    consent_entries = personal_consents.clean_entries(
        consents, default_source=_consent_source(access, channel)
    )
    if consent_entries:
        access.require(Action.CREATE, CONSENT)
    digest = _digest(
        {**data, "channel": channel, "owner": owner_id, "consents": _plain_consents(consents)}
    )
    if key is not None:
        # A resubmission is answered with the first lead, even if the configuration changed
        # since (a campaign ended, a field became required).
        existing = _idempotent(key, digest)
        if existing is not None:
            return Captured(existing, created=False)
    cleaned = clean_input(access, data)
    access.require(Action.CREATE, LEAD, cleaned.governed)
    if owner_id is not None:
        access.require(Action.ASSIGN, LEAD)
        routing.check_assignee(access, owner_id, field="owner")
    lead = Lead(channel=channel[:20], **cleaned.values)
    lead.custom = cleaned.custom or {}
    require_fields(lead)
    with transaction.atomic():
        if key is not None:
            lead.idempotency_key = key
            lead.capture_digest = digest
            try:
                with transaction.atomic():  # a concurrent capture with the key may commit first
                    lead.save()
            except IntegrityError:
                existing = _idempotent(key, digest)
                if existing is None:
                    raise
                return Captured(existing, created=False)
        else:
            lead.save()
        personal_consents.record_entries(
            access, personal_consents.ConsentSubject.lead(lead.pk), consent_entries
        )
        _route(access, lead, assign_by_rules=assign_by_rules, owner_id=owner_id)
        events.record_created(access, "lead", lead)
    return Captured(lead, created=True)


def _consent_source(access: Access, channel: str) -> ConsentSource:
    by_channel = {"FORM": ConsentSource.WEB_FORM, "IMPORT": ConsentSource.IMPORT}
    return by_channel.get(channel.upper(), personal_consents.default_source(access))


def _plain_consents(consents: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Consents as compared for idempotency (what was submitted, not when it arrived)."""
    return [{key: str(value) for key, value in entry.items()} for entry in consents or []]


def _route(access: Access, lead: Lead, *, assign_by_rules: bool, owner_id: int | None) -> None:
    """Tags by rule, the duplicate check, invalid-lead rules, and the first owner (as given,
    by rule, or the person capturing it)."""
    lead_facts = facts(lead)
    lead.duplicates = find_duplicates(access, lead)
    tags = routing.apply_tags(lead_facts, list(lead.tags))
    if lead.duplicates and DUPLICATE_TAG not in tags:
        tags.append(DUPLICATE_TAG)
    lead.tags = tags
    invalid = routing.invalid_by_rule({**lead_facts, "tags": tags})
    if invalid is not None:
        # Kept (a form never loses a lead), but out of the working pool, with the rule's reason.
        lead.status = LeadStatus.INVALID
        lead.invalid_reason = invalid.reason
        lead.invalid_note = f"rule: {invalid.name}"[:500]
        assign_by_rules = False
    rule = None
    if owner_id is None and assign_by_rules:
        chosen = routing.choose_owner(access, {**lead_facts, "tags": tags})
        if chosen is not None:
            rule, owner_id = chosen
            lead.team_id = rule.team_id
    if owner_id is None and access.principal.user_id is not None and invalid is None:
        # A person entering a lead by hand keeps it, if they can be given leads here.
        mine = routing.eligible_users(access, [access.principal.user_id])
        owner_id = mine[0] if mine else None
    lead.owner_id = owner_id
    lead.save(
        update_fields=[
            "duplicates",
            "tags",
            "owner",
            "team_id",
            "status",
            "invalid_reason",
            "invalid_note",
        ]
    )
    if owner_id is not None:
        LeadAssignment.objects.create(
            lead=lead,
            to_user_id=owner_id,
            rule=rule,
            by_user_id=access.principal.user_id,
            actor=access.principal.label,
            reason=f"rule: {rule.name}" if rule is not None else "created",
        )


# -- changing a lead -----------------------------------------------------------------------------


def locked_lead(access: Access, lead_id: int) -> Lead:
    """The lead, row-locked, if the caller may view it; NOT_FOUND otherwise."""
    return lock_visible(access, LEAD, Lead.objects.all(), lead_id)


def _open(lead: Lead) -> None:
    if lead.status in CLOSED:
        raise CrmError(
            ErrorCode.RECORD_CLOSED, field="id", object="lead", status=lead.status.lower()
        )


def lead_update(access: Access, lead_id: int, data: Mapping[str, Any]) -> Lead:
    """Change fields of an open lead the caller may write, with capture's validation."""
    with transaction.atomic():
        lead = locked_lead(access, lead_id)
        _open(lead)
        access.require(Action.EDIT, lead)
        cleaned = clean_input(access, data, current=lead)
        access.require(Action.EDIT, lead, cleaned.governed)
        before = {name: getattr(lead, name) for name in cleaned.values}
        before_custom = dict(lead.custom)
        for name, value in cleaned.values.items():
            setattr(lead, name, value)
        if cleaned.custom is not None:
            lead.custom = cleaned.custom
        stages = _stages_up_to(lead.status)
        require_fields(lead, stage=lead.status, stages=stages)
        lead.updated_at = timezone.now()
        lead.save()
        # Named as the policy names the fields (source, campaign, products: ids).
        renamed = {"source_id": "source", "product_ids": "products"}
        changes: dict[str, tuple[Any, Any]] = {
            renamed.get(name, name): (_plain(before[name]), _plain(getattr(lead, name)))
            for name in cleaned.values
        }
        if cleaned.custom is not None:
            changes["custom_fields"] = (before_custom, lead.custom)
        events.fields_changed(access, "lead", lead, changes)
    return lead


def _plain(value: Any) -> Any:
    return value.pk if isinstance(value, Campaign) else value


def _stages_up_to(status: str) -> tuple[str, ...]:
    order = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)
    if status not in order:
        return tuple(order)
    return tuple(order[: order.index(LeadStatus(status)) + 1])


def lead_assign(access: Access, lead_id: int, user_id: int, *, reason: str = "") -> Lead:
    """A manager gives an open lead to an active user holding a role in this BU."""
    with transaction.atomic():
        lead = locked_lead(access, lead_id)
        _open(lead)
        access.require(Action.ASSIGN, lead)
        routing.check_assignee(access, user_id)
        previous = lead.owner_id
        if previous == user_id:
            return lead
        lead.owner_id = user_id
        lead.updated_at = timezone.now()
        lead.save(update_fields=["owner", "updated_at"])
        LeadAssignment.objects.create(
            lead=lead,
            from_user_id=previous,
            to_user_id=user_id,
            by_user_id=access.principal.user_id,
            actor=access.principal.label,
            reason=reason.strip()[:500],
        )
        events.fields_changed(access, "lead", lead, {"owner": (previous, user_id)})
    return lead


# Allowed status moves: (from, to) -> the action the policy must give on the lead.
MOVES: dict[tuple[str, str], tuple[str, ...]] = {
    (LeadStatus.NEW, LeadStatus.CONTACTED): (Action.ADVANCE,),
    (LeadStatus.CONTACTED, LeadStatus.QUALIFIED): (Action.ADVANCE,),
    (LeadStatus.QUALIFIED, LeadStatus.CONTACTED): (Action.RETREAT,),
    # Reopening an invalid lead puts it back into the pool: the pool's manager decides.
    (LeadStatus.INVALID, LeadStatus.NEW): (Action.RETREAT, Action.ASSIGN),
}


def _move(access: Access, lead: Lead, to: str, *, fields: tuple[str, ...] = ()) -> str:
    """Check and apply a status move on a locked lead; returns the status it left."""
    current = lead.status
    if current == LeadStatus.CONVERTED:
        _open(lead)
    needed = MOVES.get((current, to))
    if to == LeadStatus.INVALID and current in OPEN_LEAD_STATUSES:
        needed = (Action.ADVANCE,)
    if needed is None:
        raise CrmError(
            ErrorCode.INVALID_STAGE_CHANGE,
            field="id",
            object="lead",
            stage=current,
            direction=f"to {to}",
        )
    for action in needed:
        access.require(action, lead, fields)
    lead.status = to
    return current


def _moved(access: Access, lead: Lead, previous: str) -> None:
    now = timezone.now()
    lead.updated_at = now
    lead.save()
    events.stage_changed(
        access,
        "lead",
        lead,
        previous,
        lead.status,
        occurrence=f"{previous}>{lead.status}@{now.isoformat()}",
    )


def lead_set_status(access: Access, lead_id: int, status: str) -> Lead:
    """NEW → CONTACTED → QUALIFIED (and back one), INVALID → NEW (reopen, by a manager)."""
    with transaction.atomic():
        lead = locked_lead(access, lead_id)
        if status in (LeadStatus.INVALID, LeadStatus.CONVERTED):
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                field="status",
                object="lead",
                stage=lead.status,
                direction=f"to {status} (mark invalid or convert instead)",
            )
        previous = _move(access, lead, status)
        if status in (LeadStatus.CONTACTED, LeadStatus.QUALIFIED):
            require_fields(lead, stage=status, stages=_stages_up_to(status))
        if status == LeadStatus.CONTACTED and lead.first_contacted_at is None:
            lead.first_contacted_at = timezone.now()
            lead.overdue = False
        if status == LeadStatus.NEW:
            lead.invalid_reason = ""
            lead.invalid_note = ""
        _moved(access, lead, previous)
    return lead


def lead_mark_invalid(access: Access, lead_id: int, reason: str, note: str = "") -> Lead:
    """An open lead is invalid for a reason (spam, duplicate, unreachable...), with a note."""
    if reason not in InvalidReason.values:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="reason",
            reason=f"one of {', '.join(InvalidReason.values)}",
        )
    if len(note) > 500:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="note", reason="at most 500 characters")
    with transaction.atomic():
        lead = locked_lead(access, lead_id)
        _open(lead)
        previous = _move(
            access, lead, LeadStatus.INVALID, fields=("invalid_reason", "invalid_note")
        )
        lead.invalid_reason = reason
        lead.invalid_note = note.strip()
        lead.overdue = False
        _moved(access, lead, previous)
    return lead


# -- conversion ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    contact: Contact
    account: LocalCustomer
    opportunity: Any


def lead_request_customer(
    access: Access,
    lead_id: int,
    *,
    proposed: Mapping[str, Any],
    reason: str,
    confirm_duplicate: bool = False,
) -> tuple[Lead, ChangeRequest]:
    """A qualified lead of a company HQ does not know yet: file the request for a new golden
    customer and remember it on the lead, in one transaction. Nothing else is created; the lead
    stays QUALIFIED until it is converted once HQ approved (`lead_convert` without a customer)."""
    with transaction.atomic():
        lead = _convertible(access, lead_id)
        _not_awaiting(lead)
        request = governance.file_new_customer_request(
            access, proposed=proposed, reason=reason, confirm_duplicate=confirm_duplicate
        )
        lead.change_request_id = request.pk
        lead.updated_at = timezone.now()
        lead.save(update_fields=["change_request_id", "updated_at"])
    return lead, request


def _convertible(access: Access, lead_id: int) -> Lead:
    """The lead, locked, if it is open, QUALIFIED and the caller may advance it."""
    lead = locked_lead(access, lead_id)
    _open(lead)
    if lead.status != LeadStatus.QUALIFIED:
        raise CrmError(
            ErrorCode.INVALID_STAGE_CHANGE,
            field="id",
            object="lead",
            stage=lead.status,
            direction="to CONVERTED (qualify it first)",
        )
    access.require(Action.ADVANCE, lead)
    return lead


def _filed_request(lead: Lead) -> ChangeRequest | None:
    if lead.change_request_id is None:
        return None
    return ChangeRequest.objects.filter(pk=lead.change_request_id).first()


def _not_awaiting(lead: Lead) -> None:
    request = _filed_request(lead)
    if request is not None and request.status == RequestStatus.PENDING:
        raise CrmError(ErrorCode.AWAITING_APPROVAL, field="id", object="lead")


def _approved_customer(lead: Lead) -> int:
    """The customer HQ created for the lead's request; typed refusals while there is none."""
    request = _filed_request(lead)
    if request is None:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="customer",
            reason="give a customer, or a new customer to request from headquarters",
        )
    if request.status == RequestStatus.PENDING:
        raise CrmError(ErrorCode.AWAITING_APPROVAL, field="id", object="lead")
    if request.status == RequestStatus.REJECTED or request.customer_id is None:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="customer",
            reason="headquarters rejected the new customer; give a customer or request another",
        )
    return int(request.customer_id)


def lead_convert(
    access: Access,
    lead_id: int,
    *,
    customer_id: int | None = None,
    local_code: str = "",
    opportunity_name: str = "",
    amount: Any = None,
    currency: str | None = None,
    expected_close: Any = None,
    pipeline: Any = None,
) -> Conversion:
    """A qualified lead becomes a contact at the BU account of a golden customer (the account
    created if the BU has none) and an opportunity, all in one transaction or nothing.

    Without `customer_id`, the customer is the one HQ created on approving the lead's request
    (`lead_request_customer`): AWAITING_APPROVAL while it is pending. A lead whose request is
    pending cannot be converted with another customer either (HQ would create a duplicate)."""
    from crm.tenants.contacts import services as contacts
    from crm.tenants.opportunities import services as opportunities

    with transaction.atomic():
        lead = _convertible(access, lead_id)
        if customer_id is None:
            customer_id = _approved_customer(lead)
        else:
            _not_awaiting(lead)
        customer = _golden_customer(access, customer_id)
        account = _account_for(access, customer, local_code)
        if not lead.last_name:
            raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="lastName", object="contact")
        owner_id = lead.owner_id or access.principal.user_id
        now = timezone.now()
        contact = contacts.create_contact(
            access,
            values={
                name: getattr(lead, name)
                for name in ("first_name", "last_name", "email", "phone")
                if getattr(lead, name)
            },
            account=account,
            lead_id=lead.pk,
            owner_id=owner_id,
        )
        # What the person agreed to on the lead holds for the contact they became.
        personal_consents.carry_over(
            lead_id=lead.pk,
            contact_id=contact.pk,
            actor=access.principal.label,
            user_id=access.principal.user_id,
        )
        name = opportunity_name.strip() or (
            f"{customer.legal_name}: {lead.product_line}"
            if lead.product_line
            else customer.legal_name
        )
        opportunity = opportunities.create_opportunity(
            access,
            name=name[:300],
            account=account,
            owner_id=owner_id,
            pipeline=pipeline,
            amount=amount,
            currency=currency,
            expected_close=expected_close,
            primary_contact=contact,
            lead_id=lead.pk,
            product_ids=tuple(lead.product_ids),
        )
        previous = lead.status
        lead.status = LeadStatus.CONVERTED
        lead.converted_at = now
        lead.contact_id = contact.pk
        lead.account_id = account.pk
        lead.opportunity_id = opportunity.pk
        lead.overdue = False
        _moved(access, lead, previous)
    return Conversion(lead, contact, account, opportunity)


def _golden_customer(access: Access, customer_id: int) -> Customer:
    records = Customer.objects.filter(group_id=access.business_unit.group_id)
    customer = access.visible(CUSTOMER, records).filter(pk=customer_id).first()
    if customer is not None and customer.status == CustomerStatus.MERGED:
        survivor = records.filter(pk=customer.merged_into_id or 0)
        customer = access.visible(CUSTOMER, survivor).first()
    if customer is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="customer", object="customer", id=customer_id)
    return customer


def _account_for(access: Access, customer: Customer, local_code: str) -> LocalCustomer:
    """The BU's account of `customer`, created (with `local_code` or one generated) if none."""
    existing = LocalCustomer.objects.select_for_update().filter(customer_id=customer.pk).first()
    if existing is not None:
        if access.visible(LOCAL_CUSTOMER, LocalCustomer.objects.filter(pk=existing.pk)).exists():
            return existing
        raise CrmError(ErrorCode.NOT_FOUND, field="customer", object="account", id=customer.pk)
    access.require(Action.CREATE, LOCAL_CUSTOMER, ["local_code", "local_name"])
    code = local_code.strip()
    if len(code) > 40:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="localCode", reason="1 to 40 characters")
    if code:
        if LocalCustomer.objects.filter(local_code=code).exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS, field="localCode", object="account", value=code
            )
    else:
        code = _free_code(customer.code)
    now = timezone.now()
    account = LocalCustomer.objects.create(
        customer_id=customer.pk,
        local_code=code,
        local_name=customer.legal_name[:300],
        sales_owner_id=access.principal.user_id,
        created_at=now,
        updated_at=now,
    )
    events.record_created(access, "local_customer", account)
    return account


def _free_code(base: str) -> str:
    taken = set(
        LocalCustomer.objects.filter(local_code__startswith=base).values_list(
            "local_code", flat=True
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


# -- reading -------------------------------------------------------------------------------------


def visible_leads(access: Access) -> QuerySet[Lead]:
    access.require_some(Action.VIEW, LEAD)
    return access.visible(LEAD, Lead.objects.all())
