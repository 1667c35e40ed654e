"""orderCancel: cancel an order nothing was delivered or invoiced from."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT, order_of
from crm.graphql.ledger.types import Order
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import orders


class OrderCancel(CrmMutation):
    class Meta:
        description = "Cancel an order nothing was delivered or invoiced from."
        error_codes = (*ON_DOCUMENT, ErrorCode.RECORD_CLOSED, ErrorCode.INVALID_STAGE_CHANGE)

    class Arguments:
        id = graphene.ID(required=True)

    order = graphene.Field(Order)

    @classmethod
    def perform(cls, _info: graphene.ResolveInfo, access: Access, id: str) -> dict[str, Any]:
        order = orders.order_cancel(access, order_of(access, id))
        return {"order": orders.get_order(access, order.pk)}
