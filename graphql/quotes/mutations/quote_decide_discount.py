"""quoteDecideDiscount: approve or decline the discount of a quote awaiting approval."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.quotes.mutations.base import ON_QUOTE, payload, quote_of
from crm.graphql.quotes.types import Quote
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.quotes import services


class QuoteDecideDiscount(CrmMutation):
    class Meta:
        description = (
            "Approve (up to its current discount) or decline the discount of a quote awaiting "
            "approval; it is a draft again either way. Approving needs a sales-policy limit "
            "that covers the discount, and is not for the quote's owner."
        )
        error_codes = (*ON_QUOTE, ErrorCode.INVALID_STAGE_CHANGE, ErrorCode.NOT_AN_APPROVER)

    class Arguments:
        id = graphene.ID(required=True)
        approve = graphene.Boolean(required=True)
        comment = graphene.String()

    quote = graphene.Field(Quote)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        approve: bool,
        comment: str | None = None,
    ) -> dict[str, Any]:
        quote = services.decide_discount(
            access, quote_of(access, id), approve=approve, comment=comment or ""
        )
        return payload(access, quote)
