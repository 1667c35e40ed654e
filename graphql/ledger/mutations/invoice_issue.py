"""invoiceIssue: number, date and send a draft invoice."""

from __future__ import annotations

import datetime
from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT, invoice_of
from crm.graphql.ledger.types import Invoice
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import invoices


class InvoiceIssue(CrmMutation):
    class Meta:
        description = (
            "Issue a draft: it takes the next number of the business unit's sequence (no gaps), "
            "its issue date (today by default), its due date (from the account's payment terms "
            "unless given) and its conversion at the issue date's rate; the ERP is told "
            "(invoice.issued)."
        )
        error_codes = (
            *ON_DOCUMENT,
            ErrorCode.RECORD_CLOSED,
            ErrorCode.INVALID_STAGE_CHANGE,
            ErrorCode.PAYMENT_TERMS_UNREADABLE,
            ErrorCode.RATE_NOT_FOUND,
        )

    class Arguments:
        id = graphene.ID(required=True)
        issue_date = graphene.Date()
        due_date = graphene.Date()

    invoice = graphene.Field(Invoice)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        issue_date: datetime.date | None = None,
        due_date: datetime.date | None = None,
    ) -> dict[str, Any]:
        invoice = invoices.invoice_issue(
            access, invoice_of(access, id), issue_date=issue_date, due_date=due_date
        )
        return {"invoice": invoices.get_invoice(access, invoice.pk)}
