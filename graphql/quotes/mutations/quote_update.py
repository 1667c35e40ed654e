"""quoteUpdate: change a draft's header (a new quote date prices every line again)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.quotes.mutations.base import ON_QUOTE, PRICING, payload, quote_of
from crm.graphql.quotes.types import Quote
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.quotes import services


class QuoteUpdate(CrmMutation):
    class Meta:
        description = (
            "Change the given header fields of the current draft version of a quote. A new "
            "`quoteDate` prices every line again on that day; a new `headerDiscount` recomputes "
            "every line's amounts."
        )
        error_codes = (*ON_QUOTE, ErrorCode.UNKNOWN_LANGUAGE, *PRICING)

    class Arguments:
        id = graphene.ID(required=True)
        quote_date = graphene.Date()
        valid_until = graphene.Date()
        header_discount = graphene.Decimal()
        language = graphene.String()
        note = graphene.String()

    quote = graphene.Field(Quote)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, id: str, **given: Any
    ) -> dict[str, Any]:
        quote = services.update_quote(access, quote_of(access, id), **given)
        return payload(access, quote)
