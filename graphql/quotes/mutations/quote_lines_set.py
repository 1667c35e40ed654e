"""quoteLinesSet: replace a draft's lines, priced again on its quote date."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.quotes.mutations.base import (
    ON_QUOTE,
    PRICING,
    QuoteLineItemInput,
    lines_of,
    payload,
    quote_of,
)
from crm.graphql.quotes.types import Quote
from crm.platform.permissions.engine import Access
from crm.tenants.quotes import services


class QuoteLinesSet(CrmMutation):
    class Meta:
        description = (
            "Replace the lines of the current draft version of a quote (back-end support may, "
            "as may the quote's salespeople and managers). Each line is priced on the quote "
            "date; a line that cannot be priced refuses the whole change, naming the line."
        )
        error_codes = (*ON_QUOTE, *PRICING)

    class Arguments:
        id = graphene.ID(required=True)
        lines = graphene.List(graphene.NonNull(QuoteLineItemInput), required=True)

    quote = graphene.Field(Quote)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, id: str, lines: list[dict[str, Any]]
    ) -> dict[str, Any]:
        quote = services.set_lines(access, quote_of(access, id), lines_of(lines))
        return payload(access, quote)
