"""orderDeliver: record quantities delivered of some lines of a confirmed order."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT, order_of
from crm.graphql.ledger.types import Order
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import orders
from crm.tenants.ledger.orders import DeliveryInput


class DeliveryLineInput(graphene.InputObjectType):
    line = graphene.ID(required=True, description="OrderLine:<BU>.<pk>")
    quantity = graphene.Decimal(required=True)


class OrderDeliver(CrmMutation):
    class Meta:
        description = (
            "Record what was delivered of some lines (partial deliveries): never more than a "
            "line has left to deliver (DELIVERY_EXCEEDS_ORDER). The order's status follows."
        )
        error_codes = (
            *ON_DOCUMENT,
            ErrorCode.RECORD_CLOSED,
            ErrorCode.ORDER_NOT_CONFIRMED,
            ErrorCode.DELIVERY_EXCEEDS_ORDER,
        )

    class Arguments:
        id = graphene.ID(required=True)
        lines = graphene.List(graphene.NonNull(DeliveryLineInput), required=True)
        delivered_on = graphene.Date(description="Today in the business unit by default.")
        delivery_reference = graphene.String(description="e.g. the delivery note's number.")

    order = graphene.Field(Order)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        lines: list[dict[str, Any]],
        delivered_on: datetime.date | None = None,
        delivery_reference: str | None = None,
    ) -> dict[str, Any]:
        order = orders.order_deliver(
            access,
            order_of(access, id),
            deliveries=[
                DeliveryInput(
                    pk_of("OrderLine", line["line"], field=f"lines.{i}.line"),
                    Decimal(line["quantity"]),
                )
                for i, line in enumerate(lines)
            ],
            delivered_on=delivered_on,
            reference=delivery_reference or "",
        )
        return {"order": orders.get_order(access, order.pk)}
