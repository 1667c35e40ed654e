"""opportunityProductsSet: the materials of interest of a deal, with quantities."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.opportunities.mutations.base import (
    DealMutation,
    DealProductInput,
    deal_of,
    products_of,
)
from crm.graphql.opportunities.types import Opportunity
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services


class OpportunityProductsSet(DealMutation):
    class Meta:
        description = (
            "Replace an open deal's products of interest: golden materials you may view, with "
            "quantities (1 by default)."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        products = graphene.List(graphene.NonNull(DealProductInput), required=True)

    opportunity = graphene.Field(Opportunity)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        products: list[dict[str, Any]],
    ) -> dict[str, Any]:
        deal = deal_of(access, id)
        services.set_products(access, deal, products_of(products))
        return {"opportunity": services.get_deal(access, deal.pk)}
