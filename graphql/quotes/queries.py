"""Quote queries: one quote, the BU's quotes as the caller may see them (filtered, keyset-paged),
and the BU's tax rates."""

from __future__ import annotations

import datetime
from typing import Any

import graphene
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.masterdata.queries import forward_only
from crm.graphql.opportunities.loaders import opportunity_loaders
from crm.graphql.quotes.types import Quote, QuoteConnection, QuoteStatus, TaxRate
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.tenants.quotes import models, services, taxes
from crm.tenants.quotes.access import QUOTE


class QuoteFilter(graphene.InputObjectType):
    status = graphene.List(graphene.NonNull(QuoteStatus))
    opportunity = graphene.ID(description="Only the quotes of this deal.")
    account = graphene.ID(description="Only the quotes of this account.")
    owner_is_me = graphene.Boolean(description="Only the quotes of your deals.")
    all_versions = graphene.Boolean(description="Also older versions (default: current only).")


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


def filtered_quotes(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Quote]:
    queryset = services.quotes(access)
    filter = filter or {}
    if not filter.get("all_versions"):
        queryset = queryset.filter(is_current=True)
    if filter.get("status"):
        access.require_readable(QUOTE, "status", argument="status")
        queryset = queryset.filter(status__in=[_value(s) for s in filter["status"]])
    if filter.get("opportunity"):
        access.require_readable(QUOTE, "opportunity", argument="opportunity")
        deal = pk_of("Opportunity", filter["opportunity"], field="opportunity")
        queryset = queryset.filter(opportunity_id=deal)
    if filter.get("account"):
        access.require_readable(QUOTE, "account", argument="account")
        queryset = queryset.filter(account_id=pk_of("Account", filter["account"], field="account"))
    if filter.get("owner_is_me"):
        access.require_readable(QUOTE, "owner", argument="ownerIsMe")
        queryset = queryset.filter(owner_id=access.principal.user_id)
    return queryset


def prepare(info: graphene.ResolveInfo, records: list[models.Quote]) -> None:
    """Load what a page of quotes shows, in a fixed number of statements."""
    prefetch_related_objects(
        records,
        Prefetch("lines", queryset=models.QuoteLine.objects.order_by("position")),
        "approvals",
    )
    loaders = opportunity_loaders(info)
    loaders.users.expect(quote.owner_id for quote in records)
    loaders.accounts.expect(quote.account_id for quote in records)
    loaders.materials.expect(line.material_id for quote in records for line in quote.lines.all())


class QuoteQueries(graphene.ObjectType):
    quote = graphene.Field(Quote, id=graphene.ID(required=True), description="One quote.")
    quotes = relay.ConnectionField(
        QuoteConnection,
        filter=graphene.Argument(QuoteFilter),
        description="The business unit's quotes you may view (current versions), newest first.",
    )
    tax_rates = graphene.List(
        graphene.NonNull(TaxRate),
        required=True,
        on=graphene.Date(description="Only those valid on this day."),
        description="The business unit's tax rates.",
    )

    @staticmethod
    def resolve_quote(_root: None, info: graphene.ResolveInfo, id: str) -> models.Quote:
        try:
            quote = services.get_quote(caller(info), pk_of("Quote", id))
        except CrmError as error:
            raise graphql_error(error) from error
        prepare(info, [quote])
        return quote

    @staticmethod
    def resolve_quotes(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> QuoteConnection:
        try:
            forward_only(last, before)
            access = caller(info)
            page = keyset_page(
                filtered_quotes(access, filter),
                kind="Quote",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("created_at", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        prepare(info, page.records)
        connection: QuoteConnection = connection_from_page(QuoteConnection, page)
        return connection

    @staticmethod
    def resolve_tax_rates(
        _root: None, info: graphene.ResolveInfo, on: datetime.date | None = None
    ) -> list[models.TaxRate]:
        try:
            queryset = taxes.tax_rates(caller(info))
        except CrmError as error:
            raise graphql_error(error) from error
        if on is not None:
            queryset = queryset.filter(valid_from__lte=on).exclude(valid_to__lt=on)
        return list(queryset.order_by("code", "valid_from"))
