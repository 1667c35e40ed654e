"""quoteRequestApproval: ask for a draft's discount to be approved."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.quotes.mutations.base import ON_QUOTE, payload, quote_of
from crm.graphql.quotes.types import Quote
from crm.platform.permissions.engine import Access
from crm.tenants.quotes import services


class QuoteRequestApproval(CrmMutation):
    class Meta:
        description = (
            "Ask for the discount of a draft to be approved; it waits (AWAITING_APPROVAL, "
            "unchangeable) until someone whose limit covers the discount decides."
        )
        error_codes = ON_QUOTE

    class Arguments:
        id = graphene.ID(required=True)
        comment = graphene.String()

    quote = graphene.Field(Quote)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, id: str, comment: str | None = None
    ) -> dict[str, Any]:
        quote = services.request_approval(access, quote_of(access, id), comment or "")
        return payload(access, quote)
