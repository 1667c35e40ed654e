"""invoiceUpdate: change the notes of a draft invoice."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT, invoice_of
from crm.graphql.ledger.types import Invoice
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import invoices


class InvoiceUpdate(CrmMutation):
    class Meta:
        description = "Change the notes of a draft (an issued invoice is RECORD_CLOSED)."
        error_codes = (*ON_DOCUMENT, ErrorCode.RECORD_CLOSED)

    class Arguments:
        id = graphene.ID(required=True)
        notes = graphene.String()

    invoice = graphene.Field(Invoice)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, id: str, notes: str | None = None
    ) -> dict[str, Any]:
        invoice = invoices.invoice_update(access, invoice_of(access, id), notes=notes)
        return {"invoice": invoices.get_invoice(access, invoice.pk)}
