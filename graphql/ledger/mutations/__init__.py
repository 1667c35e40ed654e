"""Ledger mutations: orders (create, confirm, deliver, update, cancel), invoices (create,
issue, update, cancel), credit notes, payments (record, allocate, update), integration
(endpoints, sending an event again)."""

import graphene

from crm.graphql.ledger.mutations.credit_note_create import CreditNoteCreate
from crm.graphql.ledger.mutations.integration_endpoint_set import IntegrationEndpointSet
from crm.graphql.ledger.mutations.integration_event_redeliver import IntegrationEventRedeliver
from crm.graphql.ledger.mutations.invoice_cancel import InvoiceCancel
from crm.graphql.ledger.mutations.invoice_create import InvoiceCreate
from crm.graphql.ledger.mutations.invoice_issue import InvoiceIssue
from crm.graphql.ledger.mutations.invoice_update import InvoiceUpdate
from crm.graphql.ledger.mutations.order_cancel import OrderCancel
from crm.graphql.ledger.mutations.order_confirm import OrderConfirm
from crm.graphql.ledger.mutations.order_create import OrderCreate
from crm.graphql.ledger.mutations.order_deliver import OrderDeliver
from crm.graphql.ledger.mutations.order_update import OrderUpdate
from crm.graphql.ledger.mutations.payment_allocate import PaymentAllocate
from crm.graphql.ledger.mutations.payment_record import PaymentRecord
from crm.graphql.ledger.mutations.payment_update import PaymentUpdate


class LedgerMutations(graphene.ObjectType):
    order_create = OrderCreate.Field()
    order_confirm = OrderConfirm.Field()
    order_deliver = OrderDeliver.Field()
    order_update = OrderUpdate.Field()
    order_cancel = OrderCancel.Field()
    invoice_create = InvoiceCreate.Field()
    invoice_issue = InvoiceIssue.Field()
    invoice_update = InvoiceUpdate.Field()
    invoice_cancel = InvoiceCancel.Field()
    credit_note_create = CreditNoteCreate.Field()
    payment_record = PaymentRecord.Field()
    payment_allocate = PaymentAllocate.Field()
    payment_update = PaymentUpdate.Field()
    integration_endpoint_set = IntegrationEndpointSet.Field()
    integration_event_redeliver = IntegrationEventRedeliver.Field()
