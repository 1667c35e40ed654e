"""Lead queries: one lead, the pool as the caller may see it (filtered, keyset-paged), the
BU's campaigns, and the BU's tag, invalid-lead and assignment rules."""

from __future__ import annotations

import datetime
from typing import Any

import graphene
from django.db.models import Q, QuerySet
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.customfields.fields import CustomFieldFilter, filter_custom
from crm.graphql.leads.loaders import lead_loaders
from crm.graphql.leads.types import (
    AssignmentRule,
    Campaign,
    InvalidRule,
    Lead,
    LeadConnection,
    LeadStatus,
    TagRule,
)
from crm.graphql.masterdata.queries import forward_only
from crm.graphql.privacy.consents import expect_consents
from crm.masterdata.sales.models import LeadSource as LeadSourceModel
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads import models, routing
from crm.tenants.leads.access import LEAD
from crm.tenants.leads.campaigns import visible_campaigns
from crm.tenants.leads.services import visible_leads
from crm.tenants.personaldata.models import SubjectType

MAX_SEARCH_LENGTH = 100


class LeadFilter(graphene.InputObjectType):
    status = graphene.List(graphene.NonNull(LeadStatus))
    owner_is_me = graphene.Boolean(description="Only the leads given to you.")
    owner = graphene.ID(description="Only the leads of this user (User:<pk>).")
    unassigned = graphene.Boolean(description="Only leads without an owner.")
    source = graphene.String(description="Lead source code.")
    campaign = graphene.String(description="Campaign code.")
    tag = graphene.String()
    country = graphene.String()
    overdue = graphene.Boolean()
    search = graphene.String(
        description="Start of the company name, the last or first name, or the e-mail."
    )
    created_after = graphene.DateTime()
    created_before = graphene.DateTime()
    custom_fields = graphene.List(graphene.NonNull(CustomFieldFilter))


class LeadOrderField(graphene.Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    COMPANY_NAME = "company_name"
    COUNTRY = "country"


class LeadOrder(graphene.InputObjectType):
    field = graphene.Field(LeadOrderField, required=True)
    descending = graphene.Boolean(default_value=False)


# Order field -> the governed field it reveals (None: not governed).
ORDER_GOVERNED = {
    "created_at": None,
    "updated_at": None,
    "company_name": "company_name",
    "country": "country",
}


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


def filtered_leads(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Lead]:
    """The caller's visible leads, filtered only on fields they can read everywhere."""
    queryset = visible_leads(access)
    filter = filter or {}

    def readable(name: str, argument: str) -> None:
        access.require_readable(LEAD, name, argument=argument)

    if filter.get("status"):
        readable("status", "status")
        queryset = queryset.filter(status__in=[_value(s) for s in filter["status"]])
    if filter.get("owner_is_me"):
        readable("owner", "ownerIsMe")
        queryset = queryset.filter(owner_id=access.principal.user_id)
    if filter.get("owner"):
        readable("owner", "owner")
        queryset = queryset.filter(owner_id=pk_of("User", filter["owner"], field="owner"))
    if filter.get("unassigned") is not None:
        readable("owner", "unassigned")
        queryset = queryset.filter(owner__isnull=bool(filter["unassigned"]))
    if filter.get("source"):
        readable("source", "source")
        source = LeadSourceModel.objects.filter(
            group_id=access.business_unit.group_id, code=filter["source"]
        ).first()
        queryset = queryset.filter(source_id=source.pk if source else -1)
    if filter.get("campaign"):
        readable("campaign", "campaign")
        queryset = queryset.filter(campaign__code=filter["campaign"])
    if filter.get("tag"):
        readable("tags", "tag")
        queryset = queryset.filter(tags__contains=[filter["tag"]])
    if filter.get("country"):
        readable("country", "country")
        queryset = queryset.filter(country=str(filter["country"]).strip().upper())
    if filter.get("overdue") is not None:
        readable("overdue", "overdue")
        queryset = queryset.filter(overdue=bool(filter["overdue"]))
    search = (filter.get("search") or "").strip()
    if search:
        if len(search) > MAX_SEARCH_LENGTH:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="search",
                reason=f"at most {MAX_SEARCH_LENGTH} characters",
            )
        for name in ("company_name", "first_name", "last_name", "email"):
            readable(name, "search")
        queryset = queryset.filter(
            Q(company_name__istartswith=search)
            | Q(last_name__istartswith=search)
            | Q(first_name__istartswith=search)
            | Q(email__istartswith=search)
        )
    after: datetime.datetime | None = filter.get("created_after")
    before: datetime.datetime | None = filter.get("created_before")
    if after is not None:
        queryset = queryset.filter(created_at__gte=after)
    if before is not None:
        queryset = queryset.filter(created_at__lt=before)
    if filter.get("custom_fields"):
        queryset = filter_custom(queryset, "lead", filter["custom_fields"], access=access)
    return queryset


def _ordering(access: Access, order_by: dict[str, Any] | None) -> Ordering:
    if not order_by:
        return Ordering("created_at", descending=True)
    field = _value(order_by["field"])
    governed = ORDER_GOVERNED[field]
    if governed is not None:
        access.require_readable(LEAD, governed, argument="orderBy")
    return Ordering(field, descending=bool(order_by.get("descending")))


class LeadQueries(graphene.ObjectType):
    lead = graphene.Field(Lead, id=graphene.ID(required=True), description="One lead you may view.")
    leads = relay.ConnectionField(
        LeadConnection,
        filter=graphene.Argument(LeadFilter),
        order_by=graphene.Argument(LeadOrder),
        description="The business unit's leads you may view; newest first by default.",
    )
    campaigns = graphene.List(
        graphene.NonNull(Campaign),
        required=True,
        active=graphene.Boolean(description="Only active (true) or inactive (false) ones."),
        description="The business unit's campaigns, by code.",
    )
    tag_rules = graphene.List(graphene.NonNull(TagRule), required=True)
    invalid_rules = graphene.List(graphene.NonNull(InvalidRule), required=True)
    assignment_rules = graphene.List(graphene.NonNull(AssignmentRule), required=True)

    @staticmethod
    def resolve_lead(_root: None, info: graphene.ResolveInfo, id: str) -> models.Lead:
        try:
            access = caller(info)
            pk = pk_of("Lead", id)
            found = visible_leads(access).filter(pk=pk).first()
            if found is None:
                raise CrmError(ErrorCode.NOT_FOUND, field="id", object="lead", id=id)
        except CrmError as error:
            raise graphql_error(error) from error
        return found

    @staticmethod
    def resolve_leads(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
        order_by: dict[str, Any] | None = None,
    ) -> LeadConnection:
        try:
            forward_only(last, before)
            access = caller(info)
            queryset = filtered_leads(access, filter)
            page = keyset_page(
                queryset,
                kind="Lead",
                key="id",
                first=first,
                after=after,
                ordering=_ordering(access, order_by),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        lead_loaders(info).expect_page(page.records)
        expect_consents(info, SubjectType.LEAD, (lead.pk for lead in page.records))
        connection: LeadConnection = connection_from_page(LeadConnection, page)
        return connection

    @staticmethod
    def resolve_campaigns(
        _root: None, info: graphene.ResolveInfo, active: bool | None = None
    ) -> list[models.Campaign]:
        try:
            queryset = visible_campaigns(caller(info))
        except CrmError as error:
            raise graphql_error(error) from error
        if active is not None:
            queryset = queryset.filter(active=active)
        records = list(queryset.order_by("code"))
        lead_loaders(info).sources.expect(c.source_id for c in records)
        return records

    @staticmethod
    def resolve_tag_rules(_root: None, info: graphene.ResolveInfo) -> list[models.TagRule]:
        access = caller_or_error(info)
        return list(routing.visible_rules(access, models.TagRule).order_by("position", "id"))

    @staticmethod
    def resolve_invalid_rules(_root: None, info: graphene.ResolveInfo) -> list[models.InvalidRule]:
        access = caller_or_error(info)
        return list(routing.visible_rules(access, models.InvalidRule).order_by("position", "id"))

    @staticmethod
    def resolve_assignment_rules(
        _root: None, info: graphene.ResolveInfo
    ) -> list[models.AssignmentRule]:
        access = caller_or_error(info)
        rules = list(
            routing.visible_rules(access, models.AssignmentRule).order_by("position", "id")
        )
        lead_loaders(info).users.expect(r.user_id for r in rules if r.user_id)
        return rules


def caller_or_error(info: graphene.ResolveInfo) -> Access:
    try:
        return caller(info)
    except CrmError as error:
        raise graphql_error(error) from error
