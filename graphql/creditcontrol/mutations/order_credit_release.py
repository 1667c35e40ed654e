"""orderCreditRelease: finance releases an order credit control holds."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.creditcontrol.types import CreditHold, CreditRelease
from crm.graphql.ledger.mutations.base import order_of
from crm.graphql.ledger.types import Order
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.creditcontrol import holds
from crm.tenants.ledger import orders


class OrderCreditRelease(CrmMutation):
    class Meta:
        description = (
            "Release an order credit control holds (over the customer's credit limit, or its "
            "exposure could not be computed): the order may then be confirmed for its total in "
            "the group currency now. The figures finance saw are kept with the release."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.RECORD_CLOSED,
            ErrorCode.INVALID_STAGE_CHANGE,
            ErrorCode.CREDIT_NOT_BLOCKED,
        )

    class Arguments:
        order = graphene.ID(required=True, description="Order:<BU>.<pk>")
        comment = graphene.String(required=True, description="Why it is released.")

    release = graphene.Field(CreditRelease)
    hold = graphene.Field(CreditHold)
    order = graphene.Field(Order)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, order: str, comment: str
    ) -> dict[str, Any]:
        found = order_of(access, order, field="order")
        release = holds.order_credit_release(access, found, comment=comment)
        return {
            "release": release,
            "hold": release.hold,
            "order": orders.get_order(access, release.order_id),
        }
