"""priceListSetItems: set prices of materials on a list (the `items` field must be writable)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.masterdata.types import PriceList
from crm.masterdata import price_lists
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access

MAX_ITEMS = 1000


class PriceBreakInput(graphene.InputObjectType):
    min_quantity = graphene.Decimal(required=True, description="Applies from this quantity on.")
    amount = graphene.Decimal(required=True)


class PriceInput(graphene.InputObjectType):
    material_code = graphene.String(required=True)
    amount = graphene.Decimal(required=True, description="In the list's currency.")
    breaks = graphene.List(
        graphene.NonNull(PriceBreakInput),
        description="Volume prices; given, they replace the material's breaks on the list.",
    )


class PriceListSetItems(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.PRICE_WINDOW_OVERLAP,
        )

    class Arguments:
        id = graphene.ID(required=True)
        items = graphene.List(graphene.NonNull(PriceInput), required=True)

    price_list = graphene.Field(PriceList)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, items: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if len(items) > MAX_ITEMS:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="items", reason=f"at most {MAX_ITEMS}")
        prices: dict[str, Decimal] = {}
        for item in items:
            if item["material_code"] in prices:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="items",
                    reason=f"{item['material_code']} is given twice",
                )
            prices[item["material_code"]] = item["amount"]
        breaks = {
            item["material_code"]: [(b["min_quantity"], b["amount"]) for b in item["breaks"]]
            for item in items
            if item.get("breaks") is not None
        }
        price_list = price_lists.price_list_set_items(
            access=access, price_list_id=pk_of("PriceList", id), prices=prices, breaks=breaks
        )
        return {"price_list": price_list}
