"""priceListChangeStage: DRAFT -> ACTIVE -> RETIRED and back, one step, if the policy allows."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import StageDirection
from crm.graphql.masterdata.types import PriceList
from crm.masterdata import price_lists
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class PriceListChangeStage(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_STAGE_CHANGE,
            ErrorCode.PRICE_WINDOW_OVERLAP,
        )

    class Arguments:
        id = graphene.ID(required=True)
        direction = graphene.Argument(StageDirection, required=True)

    price_list = graphene.Field(PriceList)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, direction: Any
    ) -> dict[str, Any]:
        price_list = price_lists.price_list_move(
            access=access,
            price_list_id=pk_of("PriceList", id),
            action=str(getattr(direction, "value", direction)),
        )
        return {"price_list": price_list}
