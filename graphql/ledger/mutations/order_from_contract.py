"""orderFromContract: the order of a signed contract, its lines as the contract priced them."""

from __future__ import annotations

import datetime
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.types import Order
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import orders
from crm.tenants.ledger.fromcontract import order_from_contract


class OrderFromContract(CrmMutation):
    class Meta:
        description = (
            "Create the open, unconfirmed order of a signed contract: every line of its quote "
            "with the quantity, net amount and tax rate the contract priced, so the order comes "
            "to the contract's totals exactly; in the contract's currency, converted to the "
            "group currency at the order date. CONTRACT_NOT_SIGNED before signing."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.RATE_NOT_FOUND,
            ErrorCode.RECORD_DUPLICATE,
            ErrorCode.TAX_RATE_NOT_FOUND,
            ErrorCode.CONTRACT_NOT_SIGNED,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        contract = graphene.ID(required=True, description="The signed contract's global id.")
        order_date = graphene.Date(description="Today in the business unit by default.")
        external_reference = graphene.String(description="The ERP's id of the order, if any.")
        customer_reference = graphene.String(description="The customer's purchase order.")
        notes = graphene.String()

    order = graphene.Field(Order)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        contract: str,
        order_date: datetime.date | None = None,
        external_reference: str | None = None,
        customer_reference: str | None = None,
        notes: str | None = None,
    ) -> dict[str, Any]:
        order = order_from_contract(
            access,
            pk_of("Contract", contract, field="contract"),
            order_date=order_date,
            external_reference=external_reference or "",
            customer_reference=customer_reference or "",
            notes=notes or "",
        )
        return {"order": orders.get_order(access, order.pk)}
