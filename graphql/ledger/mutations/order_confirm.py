"""orderConfirm: confirm an order, after the credit check."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT, order_of
from crm.graphql.ledger.types import Order
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import orders
from crm.tenants.ledger.credit import CREDIT_CHECK_ERROR_CODES


class OrderConfirm(CrmMutation):
    class Meta:
        description = (
            "Confirm an order so it can be delivered and invoiced. Credit control checks the "
            "customer's exposure first and may refuse (CREDIT_LIMIT_EXCEEDED, or "
            "CREDIT_CHECK_UNAVAILABLE when a cell did not answer): the order then waits for "
            "finance, `creditHold` says why; the ERP is told (order.confirmed)."
        )
        error_codes = (
            *ON_DOCUMENT,
            ErrorCode.RECORD_CLOSED,
            ErrorCode.INVALID_STAGE_CHANGE,
            *CREDIT_CHECK_ERROR_CODES,
        )

    class Arguments:
        id = graphene.ID(required=True)

    order = graphene.Field(Order)
    credit_hold = graphene.Field(
        "crm.graphql.creditcontrol.types.CreditHold",
        description="When credit control refused: the order's hold, if you may view it.",
    )

    @classmethod
    def perform(cls, _info: graphene.ResolveInfo, access: Access, id: str) -> dict[str, Any]:
        order = orders.order_confirm(access, order_of(access, id))
        return {"order": orders.get_order(access, order.pk)}
