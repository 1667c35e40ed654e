"""priceListDelete: remove a price list and its items."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.masterdata import price_lists
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class PriceListDelete(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID)

    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID()

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        price_lists.price_list_delete(access=access, price_list_id=pk_of("PriceList", id))
        return {"deleted_id": id}
