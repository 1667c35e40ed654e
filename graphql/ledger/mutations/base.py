"""What the ledger mutations share: documents by global id, the codes every one can answer."""

from __future__ import annotations

from crm.graphql.core.ids import pk_of
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import invoices, orders, payments
from crm.tenants.ledger.models import Invoice, Order, Payment

# Codes every mutation on one document can answer.
ON_DOCUMENT = (ErrorCode.MALFORMED_ID, ErrorCode.NOT_FOUND, ErrorCode.INVALID_ARGUMENT)


def order_of(access: Access, global_id: str, *, field: str = "id") -> Order:
    return orders.get_order(access, pk_of("Order", global_id, field=field), field=field)


def invoice_of(access: Access, global_id: str, *, field: str = "id") -> Invoice:
    return invoices.get_invoice(access, pk_of("Invoice", global_id, field=field), field=field)


def payment_of(access: Access, global_id: str, *, field: str = "id") -> Payment:
    return payments.get_payment(access, pk_of("Payment", global_id, field=field), field=field)
