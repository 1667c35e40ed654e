"""quoteCreate: a draft quote for an open deal, its lines priced on the quote date."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.quotes.mutations.base import PRICING, QuoteLineItemInput, lines_of, payload
from crm.graphql.quotes.types import Quote
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services as deals
from crm.tenants.quotes import services


class QuoteCreate(CrmMutation):
    class Meta:
        description = (
            "Make a draft quote for an open deal. Without `lines`, the deal's products are "
            "quoted. Prices come from the price lists valid on `quoteDate` (default: today) for "
            "this business unit, converted where needed; taxes from the BU's tax rates."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.RECORD_CLOSED,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.UNKNOWN_CURRENCY,
            *PRICING,
        )

    class Arguments:
        opportunity = graphene.ID(required=True, description="The deal's global id.")
        lines = graphene.List(graphene.NonNull(QuoteLineItemInput))
        quote_date = graphene.Date()
        valid_until = graphene.Date(description="Default: 30 days after the quote date.")
        header_discount = graphene.Decimal(description="On every line, after its own, %.")
        language = graphene.String(description="Default: the customer's.")
        note = graphene.String()
        currency = graphene.String(
            description="ISO 4217; the business unit's by default (prices converted at the "
            "quote date's rates)."
        )

    quote = graphene.Field(Quote)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        opportunity: str,
        lines: list[dict[str, Any]] | None = None,
        quote_date: datetime.date | None = None,
        valid_until: datetime.date | None = None,
        header_discount: Decimal | None = None,
        language: str | None = None,
        note: str | None = None,
        currency: str | None = None,
    ) -> dict[str, Any]:
        deal = deals.get_deal(access, pk_of("Opportunity", opportunity, field="opportunity"))
        quote = services.create_quote(
            access,
            opportunity=deal,
            lines=lines_of(lines) if lines is not None else None,
            quote_date=quote_date,
            valid_until=valid_until,
            header_discount=header_discount if header_discount is not None else Decimal(0),
            language=language or "",
            note=note or "",
            currency=currency or "",
        )
        return payload(access, quote)
