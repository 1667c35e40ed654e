"""invoiceCreate: a draft invoice against a confirmed order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT
from crm.graphql.ledger.types import Invoice
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import invoices
from crm.tenants.ledger.invoices import InvoiceLineInput as LineValue


class InvoiceLineInput(graphene.InputObjectType):
    order_line = graphene.ID(required=True, description="OrderLine:<BU>.<pk>")
    quantity = graphene.Decimal(required=True)


class InvoiceCreate(CrmMutation):
    class Meta:
        description = (
            "Make a draft invoice against a confirmed order: the given lines, or everything "
            "that can be invoiced now. A line is invoiced up to what was delivered (or ordered, "
            "for orders invoiced in advance) less what other invoices took: more is "
            "INVOICE_EXCEEDS_ORDER."
        )
        error_codes = (
            *ON_DOCUMENT,
            ErrorCode.RECORD_CLOSED,
            ErrorCode.ORDER_NOT_CONFIRMED,
            ErrorCode.INVOICE_EXCEEDS_ORDER,
        )

    class Arguments:
        order = graphene.ID(required=True, description="Order:<pk>")
        lines = graphene.List(graphene.NonNull(InvoiceLineInput))
        notes = graphene.String()

    invoice = graphene.Field(Invoice)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        order: str,
        lines: list[dict[str, Any]] | None = None,
        notes: str | None = None,
    ) -> dict[str, Any]:
        invoice = invoices.invoice_create(
            access,
            order=pk_of("Order", order, field="order"),
            lines=None
            if lines is None
            else [
                LineValue(
                    pk_of("OrderLine", line["order_line"], field=f"lines.{i}.orderLine"),
                    Decimal(line["quantity"]),
                )
                for i, line in enumerate(lines)
            ],
            notes=notes or "",
        )
        return {"invoice": invoices.get_invoice(access, invoice.pk)}
