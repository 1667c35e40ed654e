"""Recording and reading consents of the BU's contacts and leads.

    record_consent(access, subject=ConsentSubject.contact(5), purpose="MARKETING_EMAIL",
                   granted=True, source="WEB_FORM", evidence="https://acme.de/newsletter v3")
    granted = consented_ids(SubjectType.LEAD, lead_ids, Purpose.MARKETING_EMAIL)

Every grant or withdrawal appends a `ConsentEvent`; the record's `ConsentState` for the purpose
follows the latest event by the time the person gave it (an import of an older consent does not
undo a newer withdrawal). A contact's `consent_email` / `consent_phone` flags mirror the states
of MARKETING_EMAIL and PHONE, so that the flags the API had before purposes existed stay true.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.personaldata.access import CONSENT
from crm.tenants.personaldata.models import (
    Anonymization,
    ConsentEvent,
    ConsentSource,
    ConsentState,
    Purpose,
    SubjectType,
)

# A consent may be dated a little ahead of the server's clock (clients' clocks drift).
FUTURE_TOLERANCE = datetime.timedelta(minutes=1)
MAX_EVIDENCE = 500
# Sources only the system itself writes.
SYSTEM_SOURCES = frozenset({ConsentSource.LEAD_CONVERSION, ConsentSource.ERASURE})
# The contact flags that mirror a purpose's state.
CONTACT_FLAGS = {Purpose.MARKETING_EMAIL: "consent_email", Purpose.PHONE: "consent_phone"}


@dataclass(frozen=True)
class ConsentSubject:
    """The contact or lead a consent is about (a record of this BU's schema)."""

    type: SubjectType
    pk: int

    @classmethod
    def contact(cls, pk: int) -> ConsentSubject:
        return cls(SubjectType.CONTACT, pk)

    @classmethod
    def lead(cls, pk: int) -> ConsentSubject:
        return cls(SubjectType.LEAD, pk)

    @property
    def column(self) -> str:
        return "contact_id" if self.type == SubjectType.CONTACT else "lead_id"


@dataclass(frozen=True)
class ConsentEntry:
    """A checked consent to record: what, given or withdrawn, when, from where, with what proof."""

    purpose: Purpose
    granted: bool
    source: ConsentSource
    at: datetime.datetime
    evidence: str = ""


def _invalid(field: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=reason)


def _value(item: Any) -> str:
    return str(getattr(item, "value", item) or "")


def clean_purpose(value: Any, *, field: str = "purpose") -> Purpose:
    text = _value(value)
    if text not in Purpose.values:
        raise _invalid(field, f"one of {', '.join(Purpose.values)}")
    return Purpose(text)


def clean_source(value: Any, *, field: str = "source") -> ConsentSource:
    text = _value(value)
    allowed = [source for source in ConsentSource.values if source not in SYSTEM_SOURCES]
    if text not in allowed:
        raise _invalid(field, f"one of {', '.join(allowed)}")
    return ConsentSource(text)


def clean_at(value: datetime.datetime | None, *, field: str = "at") -> datetime.datetime:
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        raise _invalid(field, "a date and time with its time zone")
    if value > now + FUTURE_TOLERANCE:
        raise _invalid(field, "not in the future")
    return value


def clean_entry(
    data: Mapping[str, Any], *, default_source: ConsentSource, prefix: str = ""
) -> ConsentEntry:
    """One consent from input ({purpose, granted, source?, at?, evidence?}), or INVALID_ARGUMENT
    naming the part (`purpose`, or with a prefix `consents[1].purpose`)."""
    evidence = str(data.get("evidence") or "").strip()
    if len(evidence) > MAX_EVIDENCE:
        raise _invalid(f"{prefix}evidence", f"at most {MAX_EVIDENCE} characters")
    if not isinstance(data.get("granted"), bool):
        raise _invalid(f"{prefix}granted", "true or false")
    source = data.get("source")
    return ConsentEntry(
        purpose=clean_purpose(data.get("purpose"), field=f"{prefix}purpose"),
        granted=bool(data["granted"]),
        source=clean_source(source, field=f"{prefix}source") if source else default_source,
        at=clean_at(data.get("at"), field=f"{prefix}at"),
        evidence=evidence,
    )


def clean_entries(
    entries: Sequence[Mapping[str, Any]] | None, *, default_source: ConsentSource
) -> list[ConsentEntry]:
    cleaned = [
        clean_entry(entry, default_source=default_source, prefix=f"consents[{index}].")
        for index, entry in enumerate(entries or [])
    ]
    purposes = [entry.purpose for entry in cleaned]
    if len(set(purposes)) != len(purposes):
        raise _invalid("consents", "each purpose at most once")
    return cleaned


def default_source(access: Access) -> ConsentSource:
    """An API key is an integration; a person signed in is a sales representative."""
    return (
        ConsentSource.INTEGRATION if access.principal.user_id is None else ConsentSource.SALES_REP
    )


# -- writing -----------------------------------------------------------------------------------


def _lock_subject(subject: ConsentSubject) -> None:
    """Serialize consent writes per record: the first state row is inserted without a race."""
    from crm.tenants.contacts.models import Contact
    from crm.tenants.leads.models import Lead

    model: type[models.Model] = Contact if subject.type == SubjectType.CONTACT else Lead
    if not model._default_manager.select_for_update().filter(pk=subject.pk).exists():
        raise CrmError(ErrorCode.NOT_FOUND, field="subject", object=subject.type, id=subject.pk)


def append(
    subject: ConsentSubject,
    entry: ConsentEntry,
    *,
    actor: str,
    user_id: int | None,
) -> ConsentEvent:
    """Record one event and bring the state up to date. No permission check: callers decide."""
    with transaction.atomic():
        _lock_subject(subject)
        event = ConsentEvent.objects.create(
            **{subject.column: subject.pk},
            purpose=entry.purpose,
            granted=entry.granted,
            source=entry.source,
            at=entry.at,
            recorded_at=timezone.now(),
            actor=actor[:200],
            user_id=user_id,
            evidence=entry.evidence[:MAX_EVIDENCE],
        )
        state = ConsentState.objects.filter(
            **{subject.column: subject.pk}, purpose=entry.purpose
        ).first()
        if state is None:
            state = ConsentState(**{subject.column: subject.pk}, purpose=entry.purpose)
        elif state.at > entry.at:
            return event  # an older answer than the one in force: history only
        state.granted = entry.granted
        state.source = entry.source
        state.at = entry.at
        state.event = event
        state.save()
        flag = CONTACT_FLAGS.get(entry.purpose)
        if subject.type == SubjectType.CONTACT and flag is not None:
            from crm.tenants.contacts.models import Contact

            Contact.objects.filter(pk=subject.pk).exclude(**{flag: entry.granted}).update(
                **{flag: entry.granted}
            )
    return event


def is_anonymized(subject: ConsentSubject) -> bool:
    return Anonymization.objects.filter(record_type=subject.type, record_id=subject.pk).exists()


def visible_subject(access: Access, subject: ConsentSubject) -> None:
    """NOT_FOUND unless the caller may view the contact or lead."""
    from crm.tenants.contacts.access import CONTACT
    from crm.tenants.contacts.models import Contact
    from crm.tenants.leads.access import LEAD
    from crm.tenants.leads.models import Lead

    if subject.type == SubjectType.CONTACT:
        found = access.visible(CONTACT, Contact.objects.filter(pk=subject.pk)).exists()
    else:
        found = access.visible(LEAD, Lead.objects.filter(pk=subject.pk)).exists()
    if not found:
        raise CrmError(ErrorCode.NOT_FOUND, field="subject", object=subject.type, id=subject.pk)


def record_consent(
    access: Access,
    *,
    subject: ConsentSubject,
    purpose: Any,
    granted: bool,
    source: Any = None,
    at: datetime.datetime | None = None,
    evidence: str = "",
) -> ConsentEvent:
    """A grant or withdrawal for a contact or lead the caller may view (`create` on consents).

    A record whose personal data was erased takes withdrawals only."""
    access.require(Action.CREATE, CONSENT)
    entry = clean_entry(
        {
            "purpose": purpose,
            "granted": granted,
            "source": source,
            "at": at,
            "evidence": evidence,
        },
        default_source=default_source(access),
    )
    with transaction.atomic():
        visible_subject(access, subject)
        if entry.granted and is_anonymized(subject):
            raise _invalid("granted", "the record's personal data was erased")
        return append(
            subject, entry, actor=access.principal.label, user_id=access.principal.user_id
        )


def record_entries(
    access: Access, subject: ConsentSubject, entries: Iterable[ConsentEntry]
) -> None:
    """Consents given with a new record (a captured lead): `create` on consents is required."""
    entries = list(entries)
    if not entries:
        return
    access.require(Action.CREATE, CONSENT)
    for entry in entries:
        append(subject, entry, actor=access.principal.label, user_id=access.principal.user_id)


def flags_changed(access: Access, contact_id: int, flags: Mapping[str, bool]) -> None:
    """A contact's consent_email / consent_phone set through the contact itself: recorded as
    consent events (by a sales representative, or an integration for an API key)."""
    by_flag = {flag: purpose for purpose, flag in CONTACT_FLAGS.items()}
    subject = ConsentSubject.contact(contact_id)
    for flag, value in flags.items():
        entry = ConsentEntry(
            purpose=by_flag[flag],
            granted=bool(value),
            source=default_source(access),
            at=timezone.now(),
        )
        append(subject, entry, actor=access.principal.label, user_id=access.principal.user_id)


def carry_over(*, lead_id: int, contact_id: int, actor: str, user_id: int | None) -> int:
    """A converted lead's consents become the new contact's (their original time kept)."""
    states = list(ConsentState.objects.filter(lead_id=lead_id).select_related("event"))
    for state in states:
        append(
            ConsentSubject.contact(contact_id),
            ConsentEntry(
                purpose=Purpose(state.purpose),
                granted=state.granted,
                source=ConsentSource.LEAD_CONVERSION,
                at=state.at,
                evidence=f"lead {lead_id}: {state.event.evidence}"[:MAX_EVIDENCE],
            ),
            actor=actor,
            user_id=user_id,
        )
    return len(states)


# -- reading -----------------------------------------------------------------------------------


def states_of(subject_type: SubjectType, ids: Iterable[int]) -> dict[int, list[ConsentState]]:
    """The current consents of each record (every purpose that has one), by purpose."""
    keys = list(ids)
    found: dict[int, list[ConsentState]] = {key: [] for key in keys}
    column = "contact_id" if subject_type == SubjectType.CONTACT else "lead_id"
    rows = ConsentState.objects.filter(**{f"{column}__in": keys}).order_by("purpose")
    for state in rows:
        found[getattr(state, column)].append(state)
    return found


def granted_filter(subject_type: SubjectType, purpose: Purpose) -> Exists:
    """A condition on contacts or leads: the purpose's current consent is granted."""
    column = "contact_id" if subject_type == SubjectType.CONTACT else "lead_id"
    return Exists(
        ConsentState.objects.filter(**{column: OuterRef("pk")}, purpose=purpose, granted=True)
    )


def consented_ids(subject_type: SubjectType, ids: Iterable[int], purpose: Purpose) -> set[int]:
    column = "contact_id" if subject_type == SubjectType.CONTACT else "lead_id"
    return set(
        ConsentState.objects.filter(
            **{f"{column}__in": list(ids)}, purpose=purpose, granted=True
        ).values_list(column, flat=True)
    )
