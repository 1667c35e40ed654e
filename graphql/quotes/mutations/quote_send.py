"""quoteSend: send a draft to the customer."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.quotes.mutations.base import ON_QUOTE, payload, quote_of
from crm.graphql.quotes.types import Quote
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.quotes import services


class QuoteSend(CrmMutation):
    class Meta:
        description = (
            "Send the current draft to the customer. Its discount must be within your sales "
            "policy limit or approved (DISCOUNT_NEEDS_APPROVAL), and it must still be valid "
            "(QUOTE_EXPIRED)."
        )
        error_codes = (*ON_QUOTE, ErrorCode.DISCOUNT_NEEDS_APPROVAL, ErrorCode.QUOTE_EXPIRED)

    class Arguments:
        id = graphene.ID(required=True)

    quote = graphene.Field(Quote)

    @classmethod
    def perform(cls, _info: graphene.ResolveInfo, access: Access, id: str) -> dict[str, Any]:
        return payload(access, services.send(access, quote_of(access, id)))
