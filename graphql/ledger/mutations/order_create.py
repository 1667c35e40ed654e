"""orderCreate: a new order of an account, from a contract or sent by an integration."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.types import InvoiceBasis, Order
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import orders
from crm.tenants.ledger.orders import LineInput


class OrderLineInput(graphene.InputObjectType):
    material = graphene.ID(required=True, description="Material:<pk>")
    quantity = graphene.Decimal(required=True, description="Positive, at most 3 decimals.")
    unit_price = graphene.Decimal(required=True, description="In the order's currency.")
    description = graphene.String()
    tax_code = graphene.String(
        description="The business unit's tax rate (e.g. reduced); by default the contract's "
        "rate for the material, or the BU's rate for its category, or its default rate."
    )


class OrderCreate(CrmMutation):
    class Meta:
        description = (
            "Create an open, unconfirmed order of an account (lines of materials at the given "
            "unit prices, each taxed at the rate its contract's quote gave it, or the business "
            "unit's rate), numbered in the business unit's sequence and converted to the group "
            "currency at the rate of the order date. With `contractId`, the contract must be "
            "signed and of the account. An integration names its own id in "
            "`externalReference`: the same one twice is RECORD_DUPLICATE."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.UNKNOWN_CURRENCY,
            ErrorCode.RATE_NOT_FOUND,
            ErrorCode.RECORD_DUPLICATE,
            ErrorCode.TAX_RATE_NOT_FOUND,
            ErrorCode.CONTRACT_NOT_SIGNED,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        account = graphene.ID(required=True, description="Account:<pk>")
        lines = graphene.List(graphene.NonNull(OrderLineInput), required=True)
        currency = graphene.String(description="ISO-4217; the business unit's by default.")
        order_date = graphene.Date(description="Today in the business unit by default.")
        contract_id = graphene.Int(description="The signed contract it comes from (its id).")
        contract_number = graphene.String()
        external_reference = graphene.String()
        customer_reference = graphene.String()
        notes = graphene.String()
        invoice_basis = InvoiceBasis(description="DELIVERED by default.")

    order = graphene.Field(Order)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        account: str,
        lines: list[dict[str, Any]],
        currency: str | None = None,
        order_date: datetime.date | None = None,
        contract_id: int | None = None,
        contract_number: str | None = None,
        external_reference: str | None = None,
        customer_reference: str | None = None,
        notes: str | None = None,
        invoice_basis: Any = None,
    ) -> dict[str, Any]:
        order = orders.order_create(
            access,
            account=pk_of("Account", account, field="account"),
            lines=[
                LineInput(
                    material_id=pk_of("Material", line["material"], field=f"lines.{i}.material"),
                    quantity=Decimal(line["quantity"]),
                    unit_price=Decimal(line["unit_price"]),
                    description=line.get("description") or "",
                    tax_code=line.get("tax_code") or "",
                )
                for i, line in enumerate(lines)
            ],
            currency=currency,
            order_date=order_date,
            contract_id=contract_id,
            contract_number=contract_number or "",
            external_reference=external_reference or "",
            customer_reference=customer_reference or "",
            notes=notes or "",
            invoice_basis=str(getattr(invoice_basis, "value", invoice_basis) or "DELIVERED"),
        )
        return {"order": orders.get_order(access, order.pk)}
