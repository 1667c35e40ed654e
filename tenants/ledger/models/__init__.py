"""The ledger's models, by document: orders, invoices (and credit notes), payments, events."""

from crm.tenants.ledger.models.common import Converted, Taxed
from crm.tenants.ledger.models.integration import (
    EventKind,
    IntegrationDelivery,
    IntegrationEndpoint,
    IntegrationEvent,
)
from crm.tenants.ledger.models.invoices import (
    OPEN_INVOICE_STATUSES,
    CreditNote,
    CreditNoteStatus,
    CreditNoteTax,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    SequenceKind,
)
from crm.tenants.ledger.models.orders import (
    Delivery,
    InvoiceBasis,
    Order,
    OrderLine,
    OrderStatus,
)
from crm.tenants.ledger.models.payments import Allocation, Payment

__all__ = [
    "OPEN_INVOICE_STATUSES",
    "Allocation",
    "Converted",
    "CreditNote",
    "CreditNoteStatus",
    "CreditNoteTax",
    "Delivery",
    "DocumentSequence",
    "EventKind",
    "IntegrationDelivery",
    "IntegrationEndpoint",
    "IntegrationEvent",
    "Invoice",
    "InvoiceBasis",
    "InvoiceLine",
    "InvoiceStatus",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Payment",
    "SequenceKind",
    "Taxed",
]
