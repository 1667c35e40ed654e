"""Data-subject requests of this cell: filing, starting, rejecting and fulfilling them.

    request = request_create(access, kind="ERASURE", email="anna@example.org")
    request_fulfil(access, request_id=request.pk)

A request concerns the caller's group in this cell's region: every business unit of the group
homed here is searched (and only those: the others' schemas are not in this database). Fulfilling
an access or portability request stores the export for download; fulfilling an erasure
anonymizes the person in every one of those business units in one transaction, tells each
unit's integrations, records counts and ids per unit, and forgets whom the request was about.
A closed request cannot be fulfilled or rejected again: ALREADY_DECIDED.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible
from crm.regions.privacy import exports
from crm.regions.privacy.access import DATA_SUBJECT_REQUEST
from crm.regions.privacy.deadlines import add_months
from crm.regions.privacy.models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    ErasureRecord,
    RequestKind,
    RequestStatus,
    SubjectExport,
)
from crm.tenants.models import BusinessUnit
from crm.tenants.personaldata import notices, subjects
from crm.tenants.personaldata.identifiers import Identifier, IdentifierType, identifier_of
from crm.tenants.personaldata.models import AnonymizationReason

EXPORT_VALID_FOR = datetime.timedelta(days=30)
MAX_NOTE = 1000
# A request may be dated a little ahead of the server's clock (clients' clocks drift).
FUTURE_TOLERANCE = datetime.timedelta(minutes=1)


def _invalid(field: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=reason)


def identifier_hash(salt: str, value: str) -> str:
    return hashlib.sha256(f"{salt}{value}".encode()).hexdigest()


def local_business_units(group_id: int) -> list[BusinessUnit]:
    """The group's business units homed in this cell: the schemas a request searches."""
    return list(
        BusinessUnit.objects.filter(group_id=group_id, region_id=settings.REGION)
        .exclude(schema_name="public")
        .select_related("group", "region")
        .order_by("code")
    )


def visible_requests(access: Access) -> QuerySet[DataSubjectRequest]:
    """The requests of this cell the caller may view (PERMISSION_DENIED if none at all)."""
    access.require_some(Action.VIEW, DATA_SUBJECT_REQUEST)
    return access.visible(
        DATA_SUBJECT_REQUEST,
        DataSubjectRequest.objects.filter(region_id=settings.REGION),
    )


def about(queryset: QuerySet[DataSubjectRequest], identifier: Identifier) -> QuerySet[Any]:
    """The requests about `identifier`: those that still name it, and those that name it only
    by its salted hash (erasures done)."""
    hashed = RawSQL(
        "encode(sha256(convert_to(identifier_salt || %s, 'UTF8')), 'hex')", [identifier.value]
    )
    return queryset.filter(identifier_type=identifier.type).filter(
        Q(identifier=identifier.value) | Q(identifier="", identifier_hash=hashed)
    )


def _kind(value: Any) -> RequestKind:
    text = str(getattr(value, "value", value) or "")
    if text not in RequestKind.values:
        raise _invalid("kind", f"one of {', '.join(RequestKind.values)}")
    return RequestKind(text)


def _received(value: datetime.datetime | None) -> datetime.datetime:
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        raise _invalid("receivedAt", "a date and time with its time zone")
    if value > now + FUTURE_TOLERANCE:
        raise _invalid("receivedAt", "not in the future")
    return value


def request_create(
    access: Access,
    *,
    kind: Any,
    email: str | None = None,
    phone: str | None = None,
    received_at: datetime.datetime | None = None,
    note: str = "",
) -> DataSubjectRequest:
    """A new request, RECEIVED, due one calendar month after it was received."""
    access.require(Action.CREATE, DATA_SUBJECT_REQUEST, ["kind", "identifier", "received_at"])
    request_kind = _kind(kind)
    identifier = identifier_of(email=email, phone=phone)
    received = _received(received_at)
    note = str(note or "").strip()
    if len(note) > MAX_NOTE:
        raise _invalid("note", f"at most {MAX_NOTE} characters")
    salt = secrets.token_hex(16)
    return DataSubjectRequest.objects.create(
        group_id=access.business_unit.group_id,
        region_id=settings.REGION,
        kind=request_kind,
        identifier_type=identifier.type,
        identifier=identifier.value,
        identifier_salt=salt,
        identifier_hash=identifier_hash(salt, identifier.value),
        received_at=received,
        deadline=add_months(received, 1),
        note=note,
        created_by_id=access.principal.user_id,
    )


def _locked(access: Access, request_id: int) -> DataSubjectRequest:
    """The request, row-locked, for a change: PERMISSION_DENIED for a caller who may change no
    request at all, NOT_FOUND for one out of the caller's view."""
    access.require_some(Action.EDIT, DATA_SUBJECT_REQUEST)
    request: DataSubjectRequest = lock_visible(
        access,
        DATA_SUBJECT_REQUEST,
        DataSubjectRequest.objects.filter(region_id=settings.REGION),
        request_id,
    )
    return request


def _still_open(request: DataSubjectRequest) -> None:
    if request.status not in OPEN_STATUSES:
        raise CrmError(
            ErrorCode.ALREADY_DECIDED,
            field="id",
            status=str(RequestStatus(request.status).label).lower(),
        )


def request_start(access: Access, *, request_id: int) -> DataSubjectRequest:
    """RECEIVED -> IN_PROGRESS, handled by the caller from now on."""
    with transaction.atomic():
        request = _locked(access, request_id)
        access.require(Action.EDIT, request)
        _still_open(request)
        if request.status == RequestStatus.IN_PROGRESS:
            raise CrmError(
                ErrorCode.ALREADY_DECIDED,
                field="id",
                status=str(RequestStatus.IN_PROGRESS.label).lower(),
            )
        request.status = RequestStatus.IN_PROGRESS
        request.started_at = timezone.now()
        request.handled_by_id = access.principal.user_id
        request.save(update_fields=["status", "started_at", "handled_by"])
    return request


def request_reject(access: Access, *, request_id: int, reason: str) -> DataSubjectRequest:
    """An open request refused (e.g. the person's identity could not be verified), with why."""
    text = str(reason or "").strip()
    if not text:
        raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="rejectionReason", object="request")
    if len(text) > MAX_NOTE:
        raise _invalid("rejectionReason", f"at most {MAX_NOTE} characters")
    with transaction.atomic():
        request = _locked(access, request_id)
        access.require(Action.EDIT, request, ["rejection_reason"])
        _still_open(request)
        request.status = RequestStatus.REJECTED
        request.rejection_reason = text
        request.closed_at = timezone.now()
        request.handled_by_id = request.handled_by_id or access.principal.user_id
        request.save(update_fields=["status", "rejection_reason", "closed_at", "handled_by"])
    return request


def _identifier(request: DataSubjectRequest) -> Identifier:
    return Identifier(IdentifierType(request.identifier_type), request.identifier)


@dataclass(frozen=True)
class Match:
    business_unit: str
    record_type: str
    count: int


def matches(request: DataSubjectRequest) -> list[Match]:
    """What an open request would find now, per business unit and kind of record."""
    if not request.is_open:
        return []
    identifier = _identifier(request)
    found: list[Match] = []
    for business_unit in local_business_units(request.group_id):
        with schema_context(business_unit.schema_name):
            counts = subjects.find(identifier).counts()
        found.extend(
            Match(business_unit.handle, record_type, count)
            for record_type, count in counts.items()
            if count
        )
    return found


def _fulfil_export(request: DataSubjectRequest, units: list[BusinessUnit]) -> list[dict[str, Any]]:
    document = exports.build(request, units)
    records = exports.record_count(document)
    SubjectExport.objects.update_or_create(
        request=request,
        defaults={
            "document": document,
            "records": records,
            "created_at": timezone.now(),
            "expires_at": timezone.now() + EXPORT_VALID_FOR,
        },
    )
    result = []
    for section in document["business_units"]:
        for name in exports.SECTIONS:
            if section[name]:
                result.append(
                    {
                        "business_unit": section["business_unit"]["code"],
                        "record_type": name.removesuffix("s"),
                        "count": len(section[name]),
                    }
                )
    return result


def erase_in(
    business_unit: BusinessUnit,
    found: subjects.Found,
    *,
    reason: AnonymizationReason,
    reference: str,
    actor: str,
) -> tuple[subjects.Erased, list[int]]:
    """Erase `found` in the BU (in its schema) and queue the erasure events to its integrations."""
    with schema_context(business_unit.schema_name):
        erased = subjects.erase(found, reason=reason, reference=reference, actor=actor)
        deliveries = notices.notify_erasure(
            business_unit, found, reason=reason, reference=reference, documents=erased.documents
        )
    return erased, deliveries


def held_entries(erased: subjects.Erased) -> list[dict[str, Any]]:
    """The texts an erasure kept under a legal hold, per kind of document and reason."""
    return [
        {"record_type": kind, "legal_hold": hold, "count": count}
        for (kind, hold), count in sorted(erased.held.items())
    ]


def _fulfil_erasure(
    access: Access, request: DataSubjectRequest, units: list[BusinessUnit]
) -> list[dict[str, Any]]:
    identifier = _identifier(request)
    reference = to_global_id("DataSubjectRequest", str(request.pk))
    result: list[dict[str, Any]] = []
    for business_unit in units:
        with schema_context(business_unit.schema_name):
            found = subjects.find(identifier)
        if found.empty:
            continue
        erased, deliveries = erase_in(
            business_unit,
            found,
            reason=AnonymizationReason.REQUEST,
            reference=reference,
            actor=access.principal.label,
        )
        held = held_entries(erased)
        ErasureRecord.objects.create(
            request=request,
            business_unit=business_unit,
            counts=erased.counts,
            contact_ids=found.contact_ids,
            lead_ids=found.lead_ids,
            activity_ids=found.activity_ids,
            document_ids=erased.documents,
            held=held,
            webhook_deliveries=deliveries,
        )
        result.extend(
            {"business_unit": business_unit.handle, "record_type": name, "count": count}
            for name, count in erased.counts.items()
            if count
        )
        result.extend({"business_unit": business_unit.handle, **entry} for entry in held)
    # The person is gone from this cell: so are their name in requests and their exports.
    earlier = about(
        DataSubjectRequest.objects.filter(group_id=request.group_id, region_id=request.region_id),
        identifier,
    )
    SubjectExport.objects.filter(request__in=earlier.values("pk")).delete()
    DataSubjectRequest.objects.filter(pk__in=earlier.values("pk")).update(identifier="")
    request.identifier = ""
    return result


def request_fulfil(access: Access, *, request_id: int) -> DataSubjectRequest:
    """Do what the request asks, in every business unit of the group in this cell, atomically."""
    with transaction.atomic():
        request = _locked(access, request_id)
        access.require(Action.EDIT, request)
        _still_open(request)
        units = local_business_units(request.group_id)
        if request.kind == RequestKind.ERASURE:
            request.result = _fulfil_erasure(access, request, units)
        else:
            access.require(Action.EXPORT, request, ["identifier"])
            request.result = _fulfil_export(request, units)
        request.status = RequestStatus.COMPLETED
        request.closed_at = timezone.now()
        request.started_at = request.started_at or request.closed_at
        request.handled_by_id = request.handled_by_id or access.principal.user_id
        request.save(
            update_fields=[
                "identifier",
                "result",
                "status",
                "closed_at",
                "started_at",
                "handled_by",
            ]
        )
    return request


def export_of(access: Access, *, request_id: int) -> SubjectExport:
    """The stored export of a request the caller may export; NOT_FOUND when there is none (or
    it expired)."""
    request = visible_requests(access).filter(pk=request_id).first()
    if request is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object="request", id=request_id)
    access.require(Action.EXPORT, request, ["identifier"])
    export = SubjectExport.objects.filter(request=request, expires_at__gt=timezone.now()).first()
    if export is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object="export", id=request_id)
    return export
