"""quoteNewVersion: a new draft version copying the current one's lines."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.quotes.mutations.base import ON_QUOTE, payload, quote_of
from crm.graphql.quotes.types import Quote
from crm.platform.permissions.engine import Access
from crm.tenants.quotes import services


class QuoteNewVersion(CrmMutation):
    class Meta:
        description = (
            "A new draft version of the quote, with the current version's header and lines "
            "(prices as they were); the current version becomes read-only. Not once accepted."
        )
        error_codes = ON_QUOTE

    class Arguments:
        id = graphene.ID(required=True)

    quote = graphene.Field(Quote, description="The new version.")

    @classmethod
    def perform(cls, _info: graphene.ResolveInfo, access: Access, id: str) -> dict[str, Any]:
        return payload(access, services.new_version(access, quote_of(access, id)))
