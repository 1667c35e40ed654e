"""Deal queries: one deal, the BU's deals as the caller may see them (filtered, keyset-paged),
and the BU's pipelines with their stages."""

from __future__ import annotations

import datetime
from typing import Any

import graphene
from django.db.models import QuerySet
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.customfields.fields import CustomFieldFilter, filter_custom
from crm.graphql.masterdata.queries import forward_only
from crm.graphql.opportunities.loaders import opportunity_loaders
from crm.graphql.opportunities.types import (
    DealClass,
    DealGrade,
    Opportunity,
    OpportunityConnection,
    Pipeline,
)
from crm.graphql.salessetup.types import StageKind
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import models, pipelines, services
from crm.tenants.opportunities.access import OPPORTUNITY


class OpportunityFilter(graphene.InputObjectType):
    status = graphene.List(graphene.NonNull(StageKind))
    stage = graphene.List(graphene.NonNull(graphene.String), description="Stage codes.")
    owner_is_me = graphene.Boolean(description="Only the deals you own.")
    owner = graphene.ID(description="Only the deals of this user (User:<pk>).")
    account = graphene.ID(description="Only the deals of this account (Account:<pk>).")
    expected_close_from = graphene.Date(description="Inclusive.")
    expected_close_to = graphene.Date(description="Inclusive.")
    grade = graphene.List(graphene.NonNull(DealGrade))
    deal_class = graphene.List(graphene.NonNull(DealClass))
    custom_fields = graphene.List(graphene.NonNull(CustomFieldFilter))


class OpportunityOrderField(graphene.Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    EXPECTED_CLOSE = "expected_close"
    AMOUNT_GROUP = "amount_group"
    PROBABILITY = "probability"
    NAME = "name"


class OpportunityOrder(graphene.InputObjectType):
    field = graphene.Field(OpportunityOrderField, required=True)
    descending = graphene.Boolean(default_value=False)


# Order field -> the governed field it reveals (None: not governed).
ORDER_GOVERNED = {
    "created_at": None,
    "updated_at": None,
    "expected_close": "expected_close",
    "amount_group": "amount_group",
    "probability": "probability",
    "name": "name",
}


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


def filtered_deals(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Opportunity]:
    """The caller's visible deals, filtered only on fields they can read everywhere."""
    queryset = services.deals(access)
    filter = filter or {}

    def readable(name: str, argument: str) -> None:
        access.require_readable(OPPORTUNITY, name, argument=argument)

    if filter.get("status"):
        readable("status", "status")
        queryset = queryset.filter(status__in=[_value(s) for s in filter["status"]])
    if filter.get("stage"):
        readable("stage", "stage")
        queryset = queryset.filter(stage_code__in=list(filter["stage"]))
    if filter.get("owner_is_me"):
        readable("owner", "ownerIsMe")
        queryset = queryset.filter(owner_id=access.principal.user_id)
    if filter.get("owner"):
        readable("owner", "owner")
        queryset = queryset.filter(owner_id=pk_of("User", filter["owner"], field="owner"))
    if filter.get("account"):
        readable("account", "account")
        queryset = queryset.filter(account_id=pk_of("Account", filter["account"], field="account"))
    start: datetime.date | None = filter.get("expected_close_from")
    end: datetime.date | None = filter.get("expected_close_to")
    if start is not None:
        readable("expected_close", "expectedCloseFrom")
        queryset = queryset.filter(expected_close__gte=start)
    if end is not None:
        readable("expected_close", "expectedCloseTo")
        queryset = queryset.filter(expected_close__lte=end)
    if filter.get("grade"):
        readable("grade", "grade")
        queryset = queryset.filter(grade__in=[_value(g) for g in filter["grade"]])
    if filter.get("deal_class"):
        readable("deal_class", "dealClass")
        queryset = queryset.filter(deal_class__in=[_value(c) for c in filter["deal_class"]])
    if filter.get("custom_fields"):
        queryset = filter_custom(queryset, "opportunity", filter["custom_fields"], access=access)
    return queryset


def _ordering(access: Access, order_by: dict[str, Any] | None) -> Ordering:
    if not order_by:
        return Ordering("created_at", descending=True)
    field = _value(order_by["field"])
    governed = ORDER_GOVERNED[field]
    if governed is not None:
        access.require_readable(OPPORTUNITY, governed, argument="orderBy")
    return Ordering(field, descending=bool(order_by.get("descending")))


class OpportunityQueries(graphene.ObjectType):
    opportunity = graphene.Field(
        Opportunity, id=graphene.ID(required=True), description="One deal you may view."
    )
    opportunities = relay.ConnectionField(
        OpportunityConnection,
        filter=graphene.Argument(OpportunityFilter),
        order_by=graphene.Argument(OpportunityOrder),
        description="The business unit's deals you may view; newest first by default.",
    )
    pipelines = graphene.List(
        graphene.NonNull(Pipeline),
        required=True,
        description="The business unit's pipelines (the default one first) with their stages.",
    )

    @staticmethod
    def resolve_opportunity(_root: None, info: graphene.ResolveInfo, id: str) -> models.Opportunity:
        try:
            access = caller(info)
            deal = services.get_deal(access, pk_of("Opportunity", id))
        except CrmError as error:
            raise graphql_error(error) from error
        opportunity_loaders(info).expect_page([deal])
        return deal

    @staticmethod
    def resolve_opportunities(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
        order_by: dict[str, Any] | None = None,
    ) -> OpportunityConnection:
        try:
            forward_only(last, before)
            access = caller(info)
            page = keyset_page(
                filtered_deals(access, filter),
                kind="Opportunity",
                key="id",
                first=first,
                after=after,
                ordering=_ordering(access, order_by),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        opportunity_loaders(info).expect_page(page.records)
        connection: OpportunityConnection = connection_from_page(OpportunityConnection, page)
        return connection

    @staticmethod
    def resolve_pipelines(_root: None, info: graphene.ResolveInfo) -> list[models.Pipeline]:
        try:
            return pipelines.visible_pipelines(caller(info))
        except CrmError as error:
            raise graphql_error(error) from error
