"""Orders, invoices, credit notes and payments under the policy.

A document's stage for the policy is its status (orders and invoices; credit notes and payments
have none). The own scope reaches a document through its owner (the salesperson responsible,
copied from the order) and through its account's sales owner: a salesperson reads the orders,
invoices and payments of the customers they look after, and the team scope reaches them for
their managers. Lists load the account with the document (`select_related("account")` or
`"payer"`), so these checks run no SQL per record.

Personal fields (reads are audited, see `PERSONAL`): the free texts that name people, i.e. an
order's customer reference ("z. Hd. Frau Weber") and notes, an invoice's notes, a credit
note's reason, and a payment's reference (the bank statement's text: the payer's name).
"""

from __future__ import annotations

from typing import Any

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.ledger import models


def _account_owner(record: Any) -> frozenset[int]:
    owner = record.account.sales_owner_id if record.account_id else None
    return frozenset({owner}) if owner is not None else frozenset()


def _payer_owner(record: Any) -> frozenset[int]:
    owner = record.payer.sales_owner_id if record.payer_id else None
    return frozenset({owner}) if owner is not None else frozenset()


PERSONAL = frozenset({"customer_reference", "notes", "reason", "reference"})


def _fields(*names: str) -> tuple[GovernedField, ...]:
    return tuple(GovernedField(name, personal=name in PERSONAL) for name in names)


ORDER_STAGES = tuple(models.OrderStatus.values)
INVOICE_STAGES = tuple(models.InvoiceStatus.values)

ORDER = register(
    ObjectType(
        name="order",
        model=models.Order,
        graphql_type="Order",
        fields=_fields(
            "number",
            "account",
            "contract",
            "external_reference",
            "customer_reference",
            "notes",
            "owner",
            "status",
            "invoice_basis",
            "order_date",
            "confirmed",
            "net_total",
            "tax_total",
            "taxes",
            "total",
            "total_group",
            "conversion",
            "invoiced_amount",
            "lines",
            "deliveries",
            "invoices",
        ),
        stages=ORDER_STAGES,
        stage_field="status",
        group_field=None,
        owner_field="owner",
        members_lookup="account__sales_owner_id",
        members_of=_account_owner,
    )
)

INVOICE = register(
    ObjectType(
        name="invoice",
        model=models.Invoice,
        graphql_type="Invoice",
        fields=_fields(
            "number",
            "order",
            "account",
            "owner",
            "status",
            "notes",
            "issue_date",
            "due_date",
            "payment_terms",
            "net_total",
            "tax_total",
            "taxes",
            "total",
            "total_group",
            "conversion",
            "credited_amount",
            "paid_amount",
            "open_amount",
            "open_amount_group",
            "lines",
            "credit_notes",
            "allocations",
            "document",
        ),
        stages=INVOICE_STAGES,
        stage_field="status",
        group_field=None,
        owner_field="owner",
        members_lookup="account__sales_owner_id",
        members_of=_account_owner,
    )
)

CREDIT_NOTE = register(
    ObjectType(
        name="credit_note",
        model=models.CreditNote,
        graphql_type="CreditNote",
        fields=_fields(
            "number",
            "invoice",
            "account",
            "owner",
            "issue_date",
            "reason",
            "amount",
            "net_amount",
            "tax_amount",
            "taxes",
            "amount_group",
            "conversion",
        ),
        group_field=None,
        owner_field="owner",
        members_lookup="account__sales_owner_id",
        members_of=_account_owner,
    )
)

PAYMENT = register(
    ObjectType(
        name="payment",
        model=models.Payment,
        graphql_type="Payment",
        fields=_fields(
            "number",
            "payer",
            "owner",
            "received_on",
            "reference",
            "external_reference",
            "amount",
            "amount_group",
            "conversion",
            "allocated_amount",
            "unallocated_amount",
            "allocations",
        ),
        group_field=None,
        owner_field="owner",
        members_lookup="payer__sales_owner_id",
        members_of=_payer_owner,
    )
)

# The events sent to the BU's ERP and finance systems, and those systems' endpoints: the BU's
# managers configure endpoints and send events again; integrators read what was sent to them
# and may ask for it again; finance reads what went out.
INTEGRATION_EVENT = register(
    ObjectType(
        name="integration_event",
        model=models.IntegrationEvent,
        graphql_type="IntegrationEvent",
        fields=_fields("kind", "idempotency_key", "record", "payload", "occurred_at", "deliveries"),
        group_field=None,
    )
)

INTEGRATION_ENDPOINT = register(
    ObjectType(
        name="integration_endpoint",
        model=models.IntegrationEndpoint,
        graphql_type="IntegrationEndpoint",
        fields=_fields("code", "url", "kinds", "active"),
        group_field=None,
    )
)
