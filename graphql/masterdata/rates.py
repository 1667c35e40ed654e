"""Exchange rates of the group: read by whom the policy allows, newest first."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene
from graphene import relay
from moneyed import Money

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.core.types import Conversion
from crm.graphql.masterdata.queries import forward_only
from crm.graphql.masterdata.types import ExchangeRateConnection, RateType
from crm.masterdata import models
from crm.masterdata.access import EXCHANGE_RATE
from crm.masterdata.fx import Conversion as ConversionValue
from crm.masterdata.fx import convert
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import currency, valid_amount
from crm.platform.permissions.vocabulary import Action


class ExchangeRateQueries(graphene.ObjectType):
    exchange_rates = relay.ConnectionField(
        ExchangeRateConnection,
        base=graphene.String(),
        quote=graphene.String(),
        rate_type=graphene.Argument(RateType),
        description="The group's exchange rates, newest date first.",
    )

    convert = graphene.Field(
        Conversion,
        amount=graphene.Decimal(required=True),
        currency=graphene.String(required=True, description="ISO-4217 code of the amount."),
        to=graphene.String(required=True, description="ISO-4217 code to convert to."),
        on=graphene.Date(required=True, description="The business date whose rate applies."),
        rate_type=graphene.Argument(RateType, default_value=models.RateType.SPOT.value),
        description="An amount in another currency at the group's rate of a date and type "
        "(direct, inverse, or crossed through the group currency); the result is rounded to "
        "the target currency's minor units (ROUND_HALF_UP), the rate and its date are shown.",
    )

    @staticmethod
    def resolve_convert(
        _root: None,
        info: graphene.ResolveInfo,
        amount: Decimal,
        currency: str,
        to: str,
        on: datetime.date,
        rate_type: Any = models.RateType.SPOT.value,
    ) -> ConversionValue:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, EXCHANGE_RATE)
            for field in ("base", "quote", "rate", "rate_type", "date"):
                access.require_readable(EXCHANGE_RATE, field, argument="rateType")
            if not valid_amount(abs(amount)):
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="amount",
                    reason="below 10^15, at most 4 decimal places",
                )
            source = Money(amount, _currency_code(currency, "currency"))
            return convert(
                source,
                _currency_code(to, "to"),
                group=access.business_unit.group,
                on=on,
                rate_type=str(getattr(rate_type, "value", rate_type)),
            )
        except CrmError as error:
            raise graphql_error(error) from error

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


def _currency_code(code: str, field: str) -> str:
    return str(currency(code, field=field).code)
