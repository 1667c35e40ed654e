"""GraphQL types of data-subject rights: consents, requests with their deadlines, retention."""

from __future__ import annotations

from typing import Any

import graphene
from django.utils import timezone
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import permissions_field
from crm.platform.core.errors import CrmError
from crm.regions.privacy import models
from crm.regions.privacy.access import DATA_SUBJECT_REQUEST, RETENTION_POLICY
from crm.regions.privacy.requests import matches
from crm.tenants.personaldata import models as consent_models
from crm.tenants.personaldata.documents import LegalHold
from crm.tenants.personaldata.identifiers import IdentifierType
from crm.tenants.personaldata.retention import RetentionRecordType

ConsentPurpose = graphene.Enum.from_enum(
    consent_models.Purpose, name="ConsentPurpose", description="What a consent is for."
)
ConsentSource = graphene.Enum.from_enum(
    consent_models.ConsentSource, name="ConsentSource", description="Where a consent came from."
)
RequestKind = graphene.Enum.from_enum(models.RequestKind, name="DataSubjectRequestKind")
RequestStatus = graphene.Enum.from_enum(models.RequestStatus, name="DataSubjectRequestStatus")
SubjectIdentifierType = graphene.Enum.from_enum(IdentifierType, name="SubjectIdentifierType")
RetentionRecordTypeEnum = graphene.Enum.from_enum(RetentionRecordType, name="RetentionRecordType")
LegalHoldEnum = graphene.Enum.from_enum(
    LegalHold, name="LegalHold", description="Why an erasure kept a text as it is."
)


def _enum(choices: Any, value: str) -> Any:
    return choices(value) if value else None


class Consent(graphene.ObjectType):
    """The consent in force for one purpose: its latest grant or withdrawal."""

    purpose = graphene.Field(ConsentPurpose, required=True)
    granted = graphene.Boolean(required=True)
    at = graphene.DateTime(required=True, description="When the person gave or withdrew it.")
    source = graphene.Field(ConsentSource, required=True)

    @staticmethod
    def resolve_purpose(root: consent_models.ConsentState, _info: graphene.ResolveInfo) -> Any:
        return consent_models.Purpose(root.purpose)

    @staticmethod
    def resolve_source(root: consent_models.ConsentState, _info: graphene.ResolveInfo) -> Any:
        return consent_models.ConsentSource(root.source)


class ConsentEvent(graphene.ObjectType):
    """One grant or withdrawal as recorded (the history; nothing here is ever changed)."""

    purpose = graphene.Field(ConsentPurpose)
    granted = graphene.Boolean()
    source = graphene.Field(ConsentSource)
    at = graphene.DateTime(description="When the person gave or withdrew it.")
    recorded_at = graphene.DateTime(required=True)
    actor = graphene.String(description="Who recorded it.")
    evidence = graphene.String(description="What proves it (a form's address, a file).")

    @staticmethod
    def resolve_purpose(root: consent_models.ConsentEvent, _info: graphene.ResolveInfo) -> Any:
        return consent_models.Purpose(root.purpose)

    @staticmethod
    def resolve_source(root: consent_models.ConsentEvent, _info: graphene.ResolveInfo) -> Any:
        return consent_models.ConsentSource(root.source)


class ConsentInput(graphene.InputObjectType):
    purpose = graphene.Field(ConsentPurpose, required=True)
    granted = graphene.Boolean(required=True)
    at = graphene.DateTime(description="When the person gave or withdrew it; default: now.")
    source = graphene.Field(ConsentSource, description="Default: the channel's.")
    evidence = graphene.String(description="What proves it (at most 500 characters).")


def consent_entries(values: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """ConsentInput values as the services take them (enum members to their values)."""
    return [
        {
            "purpose": str(getattr(value["purpose"], "value", value["purpose"])),
            "granted": value["granted"],
            "at": value.get("at"),
            "source": str(getattr(value.get("source"), "value", value.get("source")) or ""),
            "evidence": value.get("evidence") or "",
        }
        for value in values or []
    ]


class RequestResult(graphene.ObjectType):
    """How many records of a kind a request found, exported or erased in one business unit; or,
    with `legalHold`, how many texts of a kind of document an erasure kept, and why."""

    business_unit = graphene.String(required=True)
    record_type = graphene.String(required=True)
    count = graphene.Int(required=True)
    legal_hold = graphene.Field(
        LegalHoldEnum, description="Kept as it is: the law makes the organisation keep it."
    )

    @staticmethod
    def resolve_legal_hold(root: Any, _info: graphene.ResolveInfo) -> Any:
        return LegalHold(root.legal_hold) if root.legal_hold else None


class RequestExport(graphene.ObjectType):
    url = graphene.String(required=True, description="GET it with the same headers as this API.")
    records = graphene.Int(required=True)
    expires_at = graphene.DateTime(required=True)


class DataSubjectRequest(graphene.ObjectType):
    """A person's request to see, take away or erase their data, in this region's business
    units of the group. Due one calendar month after it was received."""

    class Meta:
        interfaces = (relay.Node,)

    kind = graphene.Field(RequestKind)
    identifier_type = graphene.Field(SubjectIdentifierType, required=True)
    identifier = graphene.String(
        description="The person's e-mail or phone, normalized; empty once an erasure is done."
    )
    region = graphene.String(required=True)
    status = graphene.Field(RequestStatus)
    received_at = graphene.DateTime()
    deadline = graphene.DateTime()
    overdue = graphene.Boolean(required=True, description="Open and past its deadline.")
    note = graphene.String()
    handled_by = graphene.String(description="The user name of who handles it.")
    started_at = graphene.DateTime()
    closed_at = graphene.DateTime()
    rejection_reason = graphene.String()
    result = graphene.List(
        graphene.NonNull(RequestResult), description="What it found, exported or erased."
    )
    matches = graphene.List(
        graphene.NonNull(RequestResult),
        required=True,
        description="While open: what it would find now, per business unit (searches them).",
    )
    export = graphene.Field(RequestExport, description="Access and portability: the download.")
    permissions = permissions_field(DATA_SUBJECT_REQUEST)

    @staticmethod
    def resolve_kind(root: models.DataSubjectRequest, _info: graphene.ResolveInfo) -> Any:
        return models.RequestKind(root.kind)

    @staticmethod
    def resolve_identifier_type(
        root: models.DataSubjectRequest, _info: graphene.ResolveInfo
    ) -> Any:
        return IdentifierType(root.identifier_type)

    @staticmethod
    def resolve_region(root: models.DataSubjectRequest, _info: graphene.ResolveInfo) -> str:
        return str(root.region_id)

    @staticmethod
    def resolve_status(root: models.DataSubjectRequest, _info: graphene.ResolveInfo) -> Any:
        return models.RequestStatus(root.status)

    @staticmethod
    def resolve_overdue(root: models.DataSubjectRequest, _info: graphene.ResolveInfo) -> bool:
        return root.overdue

    @staticmethod
    def resolve_handled_by(root: models.DataSubjectRequest, _info: graphene.ResolveInfo) -> Any:
        return root.handled_by.username if root.handled_by_id and root.handled_by else None

    @staticmethod
    def resolve_result(root: models.DataSubjectRequest, _info: graphene.ResolveInfo) -> Any:
        return [
            RequestResult(
                business_unit=entry["business_unit"],
                record_type=entry["record_type"],
                count=entry["count"],
                legal_hold=entry.get("legal_hold"),
            )
            for entry in root.result or []
        ]

    @staticmethod
    def resolve_matches(root: models.DataSubjectRequest, info: graphene.ResolveInfo) -> Any:
        from crm.graphql.core.permissions import access_of

        access = access_of(info)
        try:
            access.require("view", root, ["identifier"])
        except CrmError as error:
            raise graphql_error(error) from error
        return [
            RequestResult(
                business_unit=match.business_unit, record_type=match.record_type, count=match.count
            )
            for match in matches(root)
        ]

    @staticmethod
    def resolve_export(root: models.DataSubjectRequest, _info: graphene.ResolveInfo) -> Any:
        export = models.SubjectExport.objects.filter(
            request_id=root.pk, expires_at__gt=timezone.now()
        ).first()
        if export is None:
            return None
        return RequestExport(
            url=f"/files/data-subject-requests/{root.pk}/export.json",
            records=export.records,
            expires_at=export.expires_at,
        )


class DataSubjectRequestConnection(CountedConnection):
    class Meta:
        node = DataSubjectRequest


class RetentionPolicy(graphene.ObjectType):
    """After how many months a kind of record is anonymized in this region's business units."""

    record_type = graphene.Field(RetentionRecordTypeEnum)
    months = graphene.Int()
    active = graphene.Boolean()
    region = graphene.String(required=True)
    updated_at = graphene.DateTime(required=True)
    permissions = permissions_field(RETENTION_POLICY)

    @staticmethod
    def resolve_record_type(root: models.RetentionPolicy, _info: graphene.ResolveInfo) -> Any:
        return RetentionRecordType(root.record_type)

    @staticmethod
    def resolve_region(root: models.RetentionPolicy, _info: graphene.ResolveInfo) -> str:
        return str(root.region_id)


class RetentionReportEntry(graphene.ObjectType):
    """For one business unit and policy: how many records are (or would be) anonymized."""

    business_unit = graphene.String(required=True)
    record_type = graphene.Field(RetentionRecordTypeEnum, required=True)
    months = graphene.Int(required=True)
    cutoff = graphene.DateTime(required=True, description="Unused since before this.")
    contacts = graphene.Int(required=True)
    leads = graphene.Int(required=True)
    activities = graphene.Int(required=True)
    documents = graphene.Int(
        required=True,
        description="Quotes, contracts, orders, invoices, credit notes, payments (texts blanked).",
    )

    @staticmethod
    def resolve_record_type(root: Any, _info: graphene.ResolveInfo) -> Any:
        return RetentionRecordType(root.record_type)


def report_entries(report: list[dict[str, Any]]) -> list[RetentionReportEntry]:
    from django.utils.dateparse import parse_datetime

    return [
        RetentionReportEntry(
            business_unit=entry["business_unit"],
            record_type=entry["record_type"],
            months=entry["months"],
            cutoff=parse_datetime(entry["cutoff"]),
            contacts=entry["contacts"],
            leads=entry["leads"],
            activities=entry["activities"],
            documents=entry.get("documents", 0),
        )
        for entry in report
    ]


class RetentionRun(graphene.ObjectType):
    """One application of the group's retention policies here (or a dry run)."""

    class Meta:
        interfaces = (relay.Node,)

    dry_run = graphene.Boolean(required=True)
    region = graphene.String(required=True)
    started_at = graphene.DateTime(required=True)
    finished_at = graphene.DateTime()
    triggered_by = graphene.String(required=True)
    report = graphene.List(graphene.NonNull(RetentionReportEntry), required=True)

    @staticmethod
    def resolve_region(root: models.RetentionRun, _info: graphene.ResolveInfo) -> str:
        return str(root.region_id)

    @staticmethod
    def resolve_report(root: models.RetentionRun, _info: graphene.ResolveInfo) -> Any:
        return report_entries(root.report or [])


class RetentionRunConnection(CountedConnection):
    class Meta:
        node = RetentionRun
