"""One data subject in one business unit's schema: finding their records, describing them for an
access or portability export, and erasing their personal data.

Run inside the BU's schema (`schema_context`). A subject is found by e-mail or phone on contacts
and leads, plus the records linked to those (the lead a contact came from, the contact a lead
became), and the activities logged against any of them.

Erasure anonymizes in place instead of deleting: deals, accounts, activity counts and every
other aggregate keep their rows and links, they just point at a record without personal data.
What is erased: the personal fields of contacts, leads and activities, custom field values,
evidence texts of consents (the consents themselves are withdrawn), the subject's details in
integrators' external events, and the record's label where automation copied it into tasks
and notifications. History tables (django-pghistory event models) of these models, if any are
tracked, lose the same columns. Each erased record is entered in `Anonymization`.

The quote-to-cash documents whose texts mention the subject (quotes, contracts, orders,
invoices, credit notes, payments) are found, exported and scrubbed as
`crm.tenants.personaldata.documents` says, legal holds included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils import timezone
from graphql_relay import to_global_id

from crm.platform.permissions.models import AuditEntry
from crm.tenants.models import BusinessUnit
from crm.tenants.personaldata import documents
from crm.tenants.personaldata.documents import KIND_NAMES, Scrubbed, Traces
from crm.tenants.personaldata.identifiers import Identifier, IdentifierType, digits_of
from crm.tenants.personaldata.models import (
    Anonymization,
    AnonymizationReason,
    ConsentEvent,
    ConsentSource,
    ConsentState,
    SubjectType,
)

ERASED_TEXT = "[erased]"
# The personal columns of each model, and what they become.
CONTACT_ERASED: dict[str, Any] = {
    "first_name": "",
    "last_name": "",
    "first_name_latin": "",
    "last_name_latin": "",
    "job_title": "",
    "email": "",
    "phone": "",
    "mobile": "",
    "language": "",
    "custom": {},
    "consent_email": False,
    "consent_phone": False,
}
LEAD_ERASED: dict[str, Any] = {
    "first_name": "",
    "last_name": "",
    "company_name": "",
    "email": "",
    "phone": "",
    "message": "",
    "invalid_note": "",
    "custom": {},
    "capture_digest": "",
}
ACTIVITY_ERASED: dict[str, Any] = {"subject": "", "body": ""}
# Texts shorter than this are not searched for in other records' texts (initials, "Li").
MIN_TRACE = 3


@dataclass
class Found:
    """The subject's records in one BU (primary keys in its schema).

    `documents` are the quote-to-cash documents that mention the subject (by kind, see
    `crm.tenants.personaldata.documents`), found with `traces`; `expired_documents` are those a
    retention policy blanks whole."""

    contact_ids: list[int] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)
    activity_ids: list[int] = field(default_factory=list)
    documents: dict[str, list[int]] = field(default_factory=dict)
    expired_documents: dict[str, list[int]] = field(default_factory=dict)
    traces: Traces | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.contact_ids
            or self.lead_ids
            or self.activity_ids
            or any(self.documents.values())
            or any(self.expired_documents.values())
        )

    def counts(self) -> dict[str, int]:
        return {
            "contact": len(self.contact_ids),
            "lead": len(self.lead_ids),
            "activity": len(self.activity_ids),
            **{name: len(self.documents.get(name, [])) for name in KIND_NAMES},
        }

    def document_count(self) -> int:
        return sum(len(ids) for ids in (*self.documents.values(), *self.expired_documents.values()))


def _matching(identifier: Identifier, phones: Iterable[str]) -> Q:
    if identifier.type == IdentifierType.EMAIL:
        return Q(email__iexact=identifier.value)
    condition = Q()
    for column in phones:
        condition |= Q(**{f"_{column}_digits": identifier.value})
    return condition


def _ids(model: type[models.Model], identifier: Identifier, phones: tuple[str, ...]) -> set[int]:
    queryset = model._default_manager.all()
    if identifier.type == IdentifierType.PHONE:
        queryset = queryset.annotate(
            **{f"_{column}_digits": digits_of(column) for column in phones}
        )
    return set(queryset.filter(_matching(identifier, phones)).values_list("pk", flat=True))


def _anonymized(record_type: str, ids: Iterable[int]) -> set[int]:
    return set(
        Anonymization.objects.filter(record_type=record_type, record_id__in=list(ids)).values_list(
            "record_id", flat=True
        )
    )


def find(identifier: Identifier) -> Found:
    """The subject's contacts, leads and activities in the current schema (not yet erased)."""
    from crm.tenants.contacts.models import Activity, Contact
    from crm.tenants.leads.models import Lead

    contacts = _ids(Contact, identifier, ("phone", "mobile"))
    leads = _ids(Lead, identifier, ("phone",))
    # One step along conversion: the lead a contact came from, the contact a lead became.
    contacts |= {
        pk
        for pk in Lead.objects.filter(pk__in=leads).values_list("contact_id", flat=True)
        if pk is not None
    }
    contacts |= set(Contact.objects.filter(lead_id__in=leads).values_list("pk", flat=True))
    leads |= {
        pk
        for pk in Contact.objects.filter(pk__in=contacts).values_list("lead_id", flat=True)
        if pk is not None
    }
    leads |= set(Lead.objects.filter(contact_id__in=contacts).values_list("pk", flat=True))
    contacts -= _anonymized(SubjectType.CONTACT, contacts)
    leads -= _anonymized(SubjectType.LEAD, leads)
    contacts &= set(Contact.objects.filter(pk__in=contacts).values_list("pk", flat=True))
    leads &= set(Lead.objects.filter(pk__in=leads).values_list("pk", flat=True))
    activities = set(
        Activity.objects.filter(Q(contact_id__in=contacts) | Q(lead_id__in=leads)).values_list(
            "pk", flat=True
        )
    )
    found = Found(sorted(contacts), sorted(leads), sorted(activities))
    found.traces = traces_of(found, identifier)
    found.documents = documents.mentioning(found.traces)
    return found


# -- describing (access and portability) --------------------------------------------------------


def global_id(business_unit: BusinessUnit, kind: str, pk: int) -> str:
    """The API's id of a record in this BU's schema (see crm.graphql.core.ids)."""
    return to_global_id(kind, f"{business_unit.pk}.{pk}")


def _stamp(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _reference(business_unit: BusinessUnit, record_type: str, pk: int) -> dict[str, str]:
    kinds = {"contact": "Contact", "lead": "Lead", "activity": "Activity"}
    kind = kinds.get(record_type) or documents.BY_NAME[record_type].graphql_type
    return {"type": record_type, "id": global_id(business_unit, kind, pk)}


def describe(business_unit: BusinessUnit, found: Found, *, with_access_log: bool) -> dict[str, Any]:
    """The subject's data in this BU, as the export document's `business_units[]` entry
    (see crm/regions/privacy/export.schema.json)."""
    from crm.tenants.contacts.models import Activity, Contact
    from crm.tenants.leads.models import Lead

    contacts = [
        {
            "id": global_id(business_unit, "Contact", contact.pk),
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "first_name_latin": contact.first_name_latin,
            "last_name_latin": contact.last_name_latin,
            "job_title": contact.job_title,
            "buying_role": contact.buying_role,
            "email": contact.email,
            "phone": contact.phone,
            "mobile": contact.mobile,
            "language": contact.language,
            "company": contact.account.local_name if contact.account is not None else None,
            "custom_fields": dict(contact.custom or {}),
            "created_at": _stamp(contact.created_at),
            "updated_at": _stamp(contact.updated_at),
        }
        for contact in Contact.objects.filter(pk__in=found.contact_ids)
        .select_related("account")
        .order_by("pk")
    ]
    leads = [
        {
            "id": global_id(business_unit, "Lead", lead.pk),
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "company_name": lead.company_name,
            "email": lead.email,
            "phone": lead.phone,
            "country": lead.country,
            "region": lead.region,
            "industry": lead.industry,
            "message": lead.message,
            "status": lead.status,
            "channel": lead.channel,
            "custom_fields": dict(lead.custom or {}),
            "created_at": _stamp(lead.created_at),
            "updated_at": _stamp(lead.updated_at),
            "converted_at": _stamp(lead.converted_at),
        }
        for lead in Lead.objects.filter(pk__in=found.lead_ids).order_by("pk")
    ]
    activities = []
    for activity in Activity.objects.filter(pk__in=found.activity_ids).order_by(
        "occurred_at", "pk"
    ):
        about = (
            _reference(business_unit, "contact", activity.contact_id)
            if activity.contact_id in found.contact_ids
            else _reference(business_unit, "lead", int(activity.lead_id or 0))
        )
        activities.append(
            {
                "id": global_id(business_unit, "Activity", activity.pk),
                "kind": activity.kind,
                "subject": activity.subject,
                "body": activity.body,
                "occurred_at": _stamp(activity.occurred_at),
                "about": about,
            }
        )
    consents = [
        {
            "about": (
                _reference(business_unit, "contact", event.contact_id)
                if event.contact_id
                else _reference(business_unit, "lead", int(event.lead_id or 0))
            ),
            "purpose": event.purpose,
            "granted": event.granted,
            "source": event.source,
            "at": _stamp(event.at),
            "evidence": event.evidence,
        }
        for event in ConsentEvent.objects.filter(
            Q(contact_id__in=found.contact_ids) | Q(lead_id__in=found.lead_ids)
        ).order_by("at", "pk")
    ]
    section: dict[str, Any] = {
        "business_unit": {
            "code": business_unit.handle,
            "name": business_unit.name,
            "region": business_unit.region_id,
        },
        "contacts": contacts,
        "leads": leads,
        "activities": activities,
        "consents": consents,
        "documents": documents.describe(
            found.documents,
            found.traces or traces_of(found),
            lambda kind, pk: global_id(business_unit, kind, pk),
        ),
    }
    if with_access_log:
        section["access_log"] = access_log(business_unit, found)
    return section


def access_log(business_unit: BusinessUnit, found: Found) -> list[dict[str, Any]]:
    """Who in the organisation read or tried to read the subject's records, and when (the
    reader's role is not named: the log is about the subject's data, not about employees)."""
    ids = {
        "contact": [str(pk) for pk in found.contact_ids],
        "lead": [str(pk) for pk in found.lead_ids],
        "activity": [str(pk) for pk in found.activity_ids],
        **{kind: [str(pk) for pk in keys] for kind, keys in found.documents.items()},
    }
    condition = Q()
    for object_type, keys in ids.items():
        if keys:
            condition |= Q(object_type=object_type, object_ids__overlap=keys)
    if not condition:
        return []
    entries = []
    for entry in AuditEntry.objects.filter(condition, business_unit=business_unit).order_by(
        "at", "pk"
    ):
        for key in entry.object_ids:
            if key in ids.get(entry.object_type, ()):
                entries.append(
                    {
                        "at": _stamp(entry.at),
                        "event": entry.event,
                        "action": entry.action,
                        "about": _reference(business_unit, entry.object_type, int(key)),
                        "fields": list((entry.details or {}).get("fields") or []),
                    }
                )
    return entries


# -- erasing ------------------------------------------------------------------------------------


def traces_of(found: Found, identifier: Identifier | None = None) -> Traces:
    """The subject's identifying texts, to be found in and cut out of other records' texts:
    full names, e-mail addresses and phone numbers (and the request's identifier) are strong,
    last names alone weak; with the accounts the subject is a contact at (or a deal's primary
    contact of), whose documents are searched for the weak ones too."""
    from crm.tenants.contacts.models import Contact
    from crm.tenants.leads.models import Lead
    from crm.tenants.opportunities.models import Opportunity

    strong: set[str] = {identifier.value} if identifier is not None else set()
    last_names: set[str] = set()
    accounts: set[int] = set()
    for row in Contact.objects.filter(pk__in=found.contact_ids).values_list(
        "first_name",
        "last_name",
        "first_name_latin",
        "last_name_latin",
        "email",
        "phone",
        "mobile",
        "account_id",
    ):
        first, last, first_latin, last_latin, email, phone, mobile, account = row
        strong |= {f"{first} {last}".strip(), f"{first_latin} {last_latin}".strip()}
        strong |= {email, phone, mobile}
        last_names |= {last, last_latin}
        if account is not None:
            accounts.add(account)
    for first, last, email, phone, lead_account in Lead.objects.filter(
        pk__in=found.lead_ids
    ).values_list("first_name", "last_name", "email", "phone", "account_id"):
        strong |= {f"{first} {last}".strip(), email, phone}
        last_names.add(last)
        if lead_account is not None:
            accounts.add(lead_account)
    accounts |= set(
        Opportunity.objects.filter(primary_contact_id__in=found.contact_ids).values_list(
            "account_id", flat=True
        )
    )

    def longest_first(texts: set[str]) -> list[str]:  # "Anna Weber" goes before "Weber"
        return sorted((text for text in texts if len(text) >= MIN_TRACE), key=len, reverse=True)

    return Traces(longest_first(strong), longest_first(strong | last_names), accounts)


def _traces(found: Found) -> list[str]:
    return (found.traces or traces_of(found)).weak


def _scrubbed(text: str, traces: list[str]) -> str:
    """`text` with every occurrence of each trace (in any case) replaced by ERASED_TEXT."""
    result = text
    for trace in traces:
        start = result.lower().find(trace.lower())
        while start >= 0:
            result = result[:start] + ERASED_TEXT + result[start + len(trace) :]
            start = result.lower().find(trace.lower(), start + len(ERASED_TEXT))
    return result


def _scrub_texts(
    queryset: models.QuerySet[Any], columns: tuple[str, ...], traces: list[str]
) -> int:
    changed = 0
    for record in queryset.only("pk", *columns):
        scrubbed = {column: _scrubbed(getattr(record, column), traces) for column in columns}
        updates = {
            column: text for column, text in scrubbed.items() if text != getattr(record, column)
        }
        if updates:
            type(record)._default_manager.filter(pk=record.pk).update(**updates)
            changed += 1
    return changed


def scrub_history(model: type[models.Model], ids: list[int], erased: dict[str, Any]) -> int:
    """Old copies of the erased columns in django-pghistory event tables tracking `model`."""
    if not ids:
        return 0
    scrubbed = 0
    for event_model in apps.get_models():
        if getattr(event_model, "pgh_tracked_model", None) is not model:
            continue
        columns = {f.name for f in event_model._meta.concrete_fields}
        values = {name: value for name, value in erased.items() if name in columns}
        if values:
            scrubbed += event_model._default_manager.filter(pgh_obj_id__in=ids).update(**values)
    return scrubbed


@dataclass
class Erased:
    """What an erasure did in one BU: records changed per kind (`counts`), the documents whose
    texts changed (by kind), and the texts kept under a legal hold, per (kind, reason)."""

    counts: dict[str, int]
    documents: dict[str, list[int]] = field(default_factory=dict)
    held: dict[tuple[str, str], int] = field(default_factory=dict)


def erase(found: Found, *, reason: AnonymizationReason, reference: str, actor: str) -> Erased:
    """Anonymize the found records in the current schema (documents: the subject's traces cut
    out, legal holds kept; expired documents: blanked). Call inside a transaction."""
    from crm.tenants.automation.models import ExternalEvent, Notification
    from crm.tenants.contacts.models import Activity, Contact, Task
    from crm.tenants.leads.models import Lead
    from crm.tenants.personaldata.consents import ConsentEntry, ConsentSubject, append

    now = timezone.now()
    traces = _traces(found)
    about = Q(contact_id__in=found.contact_ids) | Q(lead_id__in=found.lead_ids)
    counts = {
        "task": _scrub_texts(Task.objects.filter(about), ("title", "description"), traces),
        "notification": _scrub_texts(
            Notification.objects.filter(
                Q(record_type="contact", record_id__in=found.contact_ids)
                | Q(record_type="lead", record_id__in=found.lead_ids)
            ),
            ("subject", "body"),
            traces,
        ),
        "external_event": ExternalEvent.objects.filter(
            Q(record_type="contact", record_id__in=found.contact_ids)
            | Q(record_type="lead", record_id__in=found.lead_ids)
        )
        .exclude(details={})
        .update(details={}),
    }
    granted = list(ConsentState.objects.filter(about, granted=True))
    for state in granted:
        subject = (
            ConsentSubject.contact(state.contact_id)
            if state.contact_id
            else ConsentSubject.lead(int(state.lead_id or 0))
        )
        append(
            subject,
            ConsentEntry(
                purpose=state.purpose,  # type: ignore[arg-type]
                granted=False,
                source=ConsentSource.ERASURE,
                at=max(now, state.at),
            ),
            actor=actor,
            user_id=None,
        )
    counts["consent"] = ConsentEvent.objects.filter(about).exclude(evidence="").update(evidence="")
    counts["consent"] += len(granted)
    counts["contact"] = Contact.objects.filter(pk__in=found.contact_ids).update(
        **CONTACT_ERASED, updated_at=now
    )
    counts["lead"] = Lead.objects.filter(pk__in=found.lead_ids).update(
        **LEAD_ERASED, updated_at=now
    )
    counts["activity"] = Activity.objects.filter(pk__in=found.activity_ids).update(
        **ACTIVITY_ERASED
    )
    counts["history"] = (
        scrub_history(Contact, found.contact_ids, CONTACT_ERASED)
        + scrub_history(Lead, found.lead_ids, LEAD_ERASED)
        + scrub_history(Activity, found.activity_ids, ACTIVITY_ERASED)
    )
    scrubbed = (
        documents.scrub(found.documents, found.traces) if found.traces is not None else Scrubbed()
    )
    counts.update(scrubbed.counts())
    for name, count in documents.blank(found.expired_documents).items():
        counts[name] = counts.get(name, 0) + count
    Anonymization.objects.bulk_create(
        [
            Anonymization(
                record_type=record_type,
                record_id=pk,
                at=now,
                reason=reason,
                reference=reference[:60],
            )
            for record_type, ids in (
                (SubjectType.CONTACT, found.contact_ids),
                (SubjectType.LEAD, found.lead_ids),
                ("activity", found.activity_ids),
                *found.expired_documents.items(),
            )
            for pk in ids
        ],
        ignore_conflicts=True,
    )
    changed = {name: list(ids) for name, ids in scrubbed.changed.items()}
    for name, ids in found.expired_documents.items():
        changed[name] = sorted({*changed.get(name, []), *ids})
    return Erased(counts, changed, scrubbed.held)
