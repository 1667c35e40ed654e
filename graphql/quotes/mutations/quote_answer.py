"""quoteAccept and quoteReject: the customer's answer to a sent quote."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.quotes.mutations.base import ON_QUOTE, payload, quote_of
from crm.graphql.quotes.types import Quote
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.quotes import services


class QuoteAccept(CrmMutation):
    class Meta:
        description = (
            "The customer accepted the sent quote: only while it is valid (QUOTE_EXPIRED) and "
            "with its discount cleared (DISCOUNT_NEEDS_APPROVAL)."
        )
        error_codes = (
            *ON_QUOTE,
            ErrorCode.INVALID_STAGE_CHANGE,
            ErrorCode.DISCOUNT_NEEDS_APPROVAL,
            ErrorCode.QUOTE_EXPIRED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        note = graphene.String()

    quote = graphene.Field(Quote)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, id: str, note: str | None = None
    ) -> dict[str, Any]:
        return payload(access, services.accept(access, quote_of(access, id), note or ""))


class QuoteReject(CrmMutation):
    class Meta:
        description = "The customer declined the sent quote."
        error_codes = (*ON_QUOTE, ErrorCode.INVALID_STAGE_CHANGE)

    class Arguments:
        id = graphene.ID(required=True)
        note = graphene.String()

    quote = graphene.Field(Quote)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, id: str, note: str | None = None
    ) -> dict[str, Any]:
        return payload(access, services.reject(access, quote_of(access, id), note or ""))
