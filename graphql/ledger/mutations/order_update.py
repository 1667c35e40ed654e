"""orderUpdate: change an order's customer reference or notes."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT, order_of
from crm.graphql.ledger.types import Order
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import orders


class OrderUpdate(CrmMutation):
    class Meta:
        description = "Change the customer's reference or the notes of an order not cancelled."
        error_codes = (*ON_DOCUMENT, ErrorCode.RECORD_CLOSED)

    class Arguments:
        id = graphene.ID(required=True)
        customer_reference = graphene.String()
        notes = graphene.String()

    order = graphene.Field(Order)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        customer_reference: str | None = None,
        notes: str | None = None,
    ) -> dict[str, Any]:
        order = orders.order_update(
            access, order_of(access, id), customer_reference=customer_reference, notes=notes
        )
        return {"order": orders.get_order(access, order.pk)}
