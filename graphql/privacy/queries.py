"""Privacy queries: data-subject requests of this cell, consent history, retention, and the
marketing audience export (only people who agreed to the purpose)."""

from __future__ import annotations

from typing import Any

import graphene
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.exports import export_csv
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.masterdata.queries import forward_only
from crm.graphql.privacy.consents import subject_of
from crm.graphql.privacy.types import (
    ConsentEvent,
    ConsentPurpose,
    DataSubjectRequest,
    DataSubjectRequestConnection,
    RequestKind,
    RequestStatus,
    RetentionPolicy,
    RetentionReportEntry,
    RetentionRunConnection,
    report_entries,
)
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.regions.privacy import models
from crm.regions.privacy.access import DATA_SUBJECT_REQUEST, RETENTION_POLICY
from crm.regions.privacy.requests import about, visible_requests
from crm.regions.privacy.retention import plan, visible_policies
from crm.tenants.personaldata import consents
from crm.tenants.personaldata import models as consent_models
from crm.tenants.personaldata.access import CONSENT
from crm.tenants.personaldata.identifiers import identifier_of
from crm.tenants.personaldata.models import Purpose, SubjectType

AudienceType = graphene.Enum.from_enum(SubjectType, name="ConsentSubjectType")

AUDIENCE_COLUMNS: dict[str, dict[str, Any]] = {
    SubjectType.CONTACT: {
        "email": lambda record: record.email,
        "first_name": lambda record: record.first_name,
        "last_name": lambda record: record.last_name,
        "language": lambda record: record.language,
    },
    SubjectType.LEAD: {
        "email": lambda record: record.email,
        "first_name": lambda record: record.first_name,
        "last_name": lambda record: record.last_name,
        "company_name": lambda record: record.company_name,
        "country": lambda record: record.country,
    },
}


class DataSubjectRequestFilter(graphene.InputObjectType):
    status = graphene.List(graphene.NonNull(RequestStatus))
    kind = graphene.Field(RequestKind)
    overdue = graphene.Boolean(description="Open and past the deadline (or not).")
    email = graphene.String(description="Requests about this e-mail (also erased ones).")
    phone = graphene.String(description="Requests about this phone number (international).")


class AudienceExport(graphene.ObjectType):
    """A CSV of the people who agreed to a purpose: one header row, then one row per person;
    cells hidden from you are empty."""

    csv = graphene.String(required=True)
    rows = graphene.Int(required=True)


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


def filtered_requests(access: Access, filter: dict[str, Any] | None) -> Any:
    queryset = visible_requests(access).select_related("handled_by")
    filter = filter or {}
    if filter.get("status"):
        access.require_readable(DATA_SUBJECT_REQUEST, "status", argument="status")
        queryset = queryset.filter(status__in=[_value(status) for status in filter["status"]])
    if filter.get("kind") is not None:
        access.require_readable(DATA_SUBJECT_REQUEST, "kind", argument="kind")
        queryset = queryset.filter(kind=_value(filter["kind"]))
    if filter.get("overdue") is not None:
        access.require_readable(DATA_SUBJECT_REQUEST, "deadline", argument="overdue")
        late = Q(status__in=models.OPEN_STATUSES, deadline__lt=timezone.now())
        queryset = queryset.filter(late) if filter["overdue"] else queryset.exclude(late)
    if filter.get("email") or filter.get("phone"):
        argument = "email" if filter.get("email") else "phone"
        access.require_readable(DATA_SUBJECT_REQUEST, "identifier", argument=argument)
        identifier = identifier_of(email=filter.get("email"), phone=filter.get("phone"))
        queryset = about(queryset, identifier)
    return queryset


def audience(access: Access, subject_type: SubjectType, purpose: Purpose) -> tuple[str, int]:
    """Contacts or leads whose consent for `purpose` is granted, with an address to write to."""
    from crm.tenants.contacts.access import CONTACT
    from crm.tenants.contacts.models import Contact
    from crm.tenants.leads.access import LEAD
    from crm.tenants.leads.models import Lead

    object_type = CONTACT if subject_type == SubjectType.CONTACT else LEAD
    model: Any = Contact if subject_type == SubjectType.CONTACT else Lead
    queryset = access.visible(
        object_type,
        model.objects.filter(consents.granted_filter(subject_type, purpose)).exclude(email=""),
    ).order_by("pk")
    return export_csv(access, object_type, queryset, AUDIENCE_COLUMNS[subject_type])


class PrivacyQueries(graphene.ObjectType):
    data_subject_requests = relay.ConnectionField(
        DataSubjectRequestConnection,
        filter=graphene.Argument(DataSubjectRequestFilter),
        description="Data-subject requests received in this region, most urgent deadline first.",
    )
    data_subject_request = graphene.Field(DataSubjectRequest, id=graphene.ID(required=True))
    consent_history = graphene.List(
        graphene.NonNull(ConsentEvent),
        required=True,
        subject=graphene.ID(required=True, description="A Contact or Lead id."),
        purpose=graphene.Argument(ConsentPurpose),
        description="Every grant and withdrawal of a contact or lead, oldest first.",
    )
    retention_policies = graphene.List(
        graphene.NonNull(RetentionPolicy),
        required=True,
        description="The group's retention policies in this region.",
    )
    retention_runs = relay.ConnectionField(
        RetentionRunConnection, description="Retention runs here, newest first."
    )
    retention_dry_run = graphene.List(
        graphene.NonNull(RetentionReportEntry),
        required=True,
        description="What the policies would anonymize now, per business unit (changes nothing).",
    )
    marketing_audience_export = graphene.Field(
        AudienceExport,
        record_type=graphene.Argument(AudienceType, required=True),
        purpose=graphene.Argument(ConsentPurpose, default_value=Purpose.MARKETING_EMAIL.value),
        description="CSV of the contacts or leads who agreed to the purpose (and only those).",
    )

    @staticmethod
    def resolve_data_subject_requests(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> DataSubjectRequestConnection:
        try:
            forward_only(last, before)
            page = keyset_page(
                filtered_requests(caller(info), filter),
                kind="DataSubjectRequest",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("deadline"),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        connection: DataSubjectRequestConnection = connection_from_page(
            DataSubjectRequestConnection, page
        )
        return connection

    @staticmethod
    def resolve_data_subject_request(
        _root: None, info: graphene.ResolveInfo, id: str
    ) -> models.DataSubjectRequest:
        try:
            pk = pk_of("DataSubjectRequest", id)
            found = visible_requests(caller(info)).filter(pk=pk).first()
            if found is None:
                raise CrmError(ErrorCode.NOT_FOUND, field="id", object="request", id=id)
        except CrmError as error:
            raise graphql_error(error) from error
        return found

    @staticmethod
    def resolve_consent_history(
        _root: None, info: graphene.ResolveInfo, subject: str, purpose: Any = None
    ) -> list[consent_models.ConsentEvent]:
        try:
            access = caller(info)
            access.require(Action.VIEW, CONSENT)
            named = subject_of(subject)
            consents.visible_subject(access, named)
            events = consent_models.ConsentEvent.objects.filter(
                **{named.column: named.pk}
            ).order_by("at", "pk")
            if purpose is not None:
                events = events.filter(purpose=_value(purpose))
        except CrmError as error:
            raise graphql_error(error) from error
        return list(events)

    @staticmethod
    def resolve_retention_policies(
        _root: None, info: graphene.ResolveInfo
    ) -> list[models.RetentionPolicy]:
        try:
            return list(visible_policies(caller(info)).order_by("record_type"))
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_retention_runs(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> RetentionRunConnection:
        try:
            forward_only(last, before)
            access = caller(info)
            access.require_some(Action.VIEW, RETENTION_POLICY)
            runs = models.RetentionRun.objects.filter(
                group_id=access.business_unit.group_id, region_id=settings.REGION
            )
            page = keyset_page(
                runs,
                kind="RetentionRun",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("id", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        connection: RetentionRunConnection = connection_from_page(RetentionRunConnection, page)
        return connection

    @staticmethod
    def resolve_retention_dry_run(
        _root: None, info: graphene.ResolveInfo
    ) -> list[RetentionReportEntry]:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, RETENTION_POLICY)
        except CrmError as error:
            raise graphql_error(error) from error
        return report_entries([entry.as_report() for entry in plan(access.business_unit.group_id)])

    @staticmethod
    def resolve_marketing_audience_export(
        _root: None, info: graphene.ResolveInfo, record_type: Any, purpose: Any = None
    ) -> AudienceExport:
        try:
            chosen = consents.clean_purpose(purpose or Purpose.MARKETING_EMAIL)
            text, rows = audience(caller(info), SubjectType(_value(record_type)), chosen)
        except CrmError as error:
            raise graphql_error(error) from error
        return AudienceExport(csv=text, rows=rows)
