"""invoiceCancel: cancel a draft, or an issued invoice nothing settled yet."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT, invoice_of
from crm.graphql.ledger.types import Invoice
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import invoices


class InvoiceCancel(CrmMutation):
    class Meta:
        description = (
            "Cancel a draft, or an issued invoice nothing was paid or credited on (it keeps its "
            "number; its quantities go back to the order). Others are corrected by credit notes."
        )
        error_codes = (*ON_DOCUMENT, ErrorCode.RECORD_CLOSED, ErrorCode.INVALID_STAGE_CHANGE)

    class Arguments:
        id = graphene.ID(required=True)

    invoice = graphene.Field(Invoice)

    @classmethod
    def perform(cls, _info: graphene.ResolveInfo, access: Access, id: str) -> dict[str, Any]:
        invoice = invoices.invoice_cancel(access, invoice_of(access, id))
        return {"invoice": invoices.get_invoice(access, invoice.pk)}
