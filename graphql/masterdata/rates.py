"""Exchange rates of the group: read by whom the policy allows, newest first."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.masterdata.queries import forward_only
from crm.graphql.masterdata.types import ExchangeRateConnection, RateType
from crm.masterdata import models
from crm.masterdata.access import EXCHANGE_RATE
from crm.platform.core.errors import CrmError
from crm.platform.permissions.vocabulary import Action


class ExchangeRateQueries(graphene.ObjectType):
    exchange_rates = relay.ConnectionField(
        ExchangeRateConnection,
        base=graphene.String(),
        quote=graphene.String(),
        rate_type=graphene.Argument(RateType),
        description="The group's exchange rates, newest date first.",
    )

    @staticmethod
    def resolve_exchange_rates(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        base: str | None = None,
        quote: str | None = None,
        rate_type: Any = None,
    ) -> ExchangeRateConnection:
        try:
            forward_only(last, before)
            access = caller(info)
            access.require_some(Action.VIEW, EXCHANGE_RATE)
            queryset = models.ExchangeRate.objects.filter(group_id=access.business_unit.group_id)
            queryset = access.visible(EXCHANGE_RATE, queryset)
            for argument, value, field in (
                ("base", base, "base"),
                ("quote", quote, "quote"),
                ("rateType", rate_type, "rate_type"),
            ):
                if value is not None:
                    access.require_readable(EXCHANGE_RATE, field, argument=argument)
                    queryset = queryset.filter(
                        **{field: str(getattr(value, "value", value)).upper()}
                    )
            access.require_readable(EXCHANGE_RATE, "date", argument="orderBy")
            page = keyset_page(
                queryset,
                kind="ExchangeRate",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("date", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        connection: ExchangeRateConnection = connection_from_page(ExchangeRateConnection, page)
        return connection
