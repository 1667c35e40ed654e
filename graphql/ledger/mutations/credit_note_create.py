"""creditNoteCreate: credit an amount on an issued invoice."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT
from crm.graphql.ledger.types import CreditNote, Invoice
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import invoices


class CreditNoteCreate(CrmMutation):
    class Meta:
        description = (
            "Credit an amount (in the invoice's currency) on an issued invoice, reducing its "
            "open amount; at most the open amount (CREDIT_NOTE_EXCEEDS_INVOICE)."
        )
        error_codes = (
            *ON_DOCUMENT,
            ErrorCode.RECORD_CLOSED,
            ErrorCode.INVALID_STAGE_CHANGE,
            ErrorCode.CREDIT_NOTE_EXCEEDS_INVOICE,
            ErrorCode.RATE_NOT_FOUND,
        )

    class Arguments:
        invoice = graphene.ID(required=True, description="Invoice:<pk>")
        amount = graphene.Decimal(required=True)
        credit_reason = graphene.String(required=True, description="Printed on the credit note.")
        issue_date = graphene.Date()

    credit_note = graphene.Field(CreditNote)
    invoice = graphene.Field(Invoice)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        invoice: str,
        amount: Decimal,
        credit_reason: str,
        issue_date: datetime.date | None = None,
    ) -> dict[str, Any]:
        note = invoices.credit_note_create(
            access,
            invoice=pk_of("Invoice", invoice, field="invoice"),
            amount=amount,
            reason=credit_reason,
            issue_date=issue_date,
        )
        return {
            "credit_note": invoices.get_credit_note(access, note.pk),
            "invoice": invoices.get_invoice(access, note.invoice_id),
        }
