"""The default policy of orders, invoices, credit notes, payments and integration events, role
× stage × ownership, through the GraphQL API, as tests/permissions/test_sales_matrix.py does for
the sales work.

Every default role (in the German BU, or at group level for HQ roles) is asked, for a document
in each stage that belongs to the tested user (its owner and its account's sales owner) and for
one of another person of the BU, to read it (each governed field readable or hidden as the
oracle in tests/permissions/matrix.py computes from the policy's data), to write a field, and
to confirm, cancel, issue it or send it again. Each write runs in a savepoint that is rolled
back; a refused write changes nothing.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.permissions.defaults import DEFAULT_ROLES
from crm.platform.permissions.vocabulary import Action
from crm.tenants.automation.models import WebhookDelivery
from crm.tenants.ledger.models import (
    CreditNote,
    IntegrationDelivery,
    IntegrationEndpoint,
    IntegrationEvent,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
)
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tests.permissions.matrix import expected, member, payload_of, rolled_back
from crm.tests.permissions.test_sales_matrix import (
    OTHER,
    SCHEMA,
    SalesAdapter,
    check_reads,
    check_write,
    refusal,
)
from crm.tests.relationships.helpers import business_unit, golden, user_id

_numbers = itertools.count(1)


def _converted(day: datetime.date) -> dict[str, Any]:
    return {
        "currency": "EUR",
        "group_currency": "CNY",
        "fx_date": day,
        "fx_rate": Decimal("7.8125"),
        "fx_rate_date": day,
        "fx_rate_type": "SPOT",
    }


def _account(owner: str) -> LocalCustomer:
    number = next(_numbers)
    customer = golden(business_unit("acme.de").group_id, f"MXL-{number}", f"Matrix {number} AG")
    return LocalCustomer.objects.create(
        customer_id=customer.pk, local_code=f"MXL-{number}", sales_owner_id=user_id(owner)
    )


def _order(stage: str, owner: str, *, confirmed: bool | None = None) -> Order:
    day = business_unit("acme.de").today()
    order = Order.objects.create(
        number=f"SO-MX-{next(_numbers)}",
        account=_account(owner),
        owner_id=user_id(owner),
        contract_number="V-1",
        status=stage,
        order_date=day,
        confirmed=stage != "OPEN" if confirmed is None else confirmed,
        net_total=Decimal("100.00"),
        total=Decimal("100.00"),
        total_group=Decimal("781.25"),
        **_converted(day),
    )
    delivered = {"OPEN": 0, "PARTIALLY_DELIVERED": 1, "DELIVERED": 2, "CANCELLED": 0}[stage]
    OrderLine.objects.create(
        order=order,
        position=1,
        material_id=1,
        material_code="M-001",
        unit="PCE",
        quantity=2,
        unit_price=Decimal("50"),
        amount=Decimal("100.00"),
        amount_group=Decimal("781.25"),
        delivered_quantity=delivered,
    )
    return order


def make_order(world: Any, stage: str, owner: str) -> Order:
    with schema_context(SCHEMA):
        return _order(stage, owner)


SETTLED = {  # status: (paid, credited, open) of a 100.00 invoice
    "DRAFT": (0, 0, 0),
    "ISSUED": (0, 0, 100),
    "PARTIALLY_PAID": (40, 0, 60),
    "PAID": (100, 0, 0),
    "CANCELLED": (0, 0, 0),
}


def _invoice(stage: str, owner: str) -> Invoice:
    order = _order("DELIVERED", owner)
    day = order.order_date
    paid, credited, open_amount = SETTLED[stage]
    issued = stage != "DRAFT"
    invoice = Invoice.objects.create(
        number=f"INV-MX-{next(_numbers)}" if issued else None,
        order=order,
        account=order.account,
        owner_id=order.owner_id,
        status=stage,
        issue_date=day if issued else None,
        due_date=day + datetime.timedelta(days=30) if issued else None,
        net_total=Decimal(100),
        total=Decimal(100),
        total_group=Decimal("781.25") if issued else None,
        paid_amount=paid,
        credited_amount=credited,
        open_amount=open_amount,
        open_amount_group=Decimal(open_amount) * Decimal("7.8125"),
        cancelled_on=day if stage == "CANCELLED" else None,
        last_settled_on=day if paid or credited else None,
        closed_on=day if stage in ("PAID", "CANCELLED") else None,
        **(_converted(day) if issued else {"currency": "EUR", "group_currency": "CNY"}),
    )
    taken = stage != "CANCELLED"  # drafts reserve their quantity, issued ones invoice it
    order.lines.update(invoiced_quantity=2 if taken else 0)
    Order.objects.filter(pk=order.pk).update(
        invoiced_amount=Decimal(100) if taken and issued else Decimal(0)
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        order_line=order.lines.get(),
        position=1,
        quantity=2,
        unit_price=Decimal(50),
        amount=Decimal(100),
    )
    return invoice


def make_invoice(world: Any, stage: str, owner: str) -> Invoice:
    with schema_context(SCHEMA):
        return _invoice(stage, owner)


def make_credit_note(world: Any, stage: str, owner: str) -> CreditNote:
    with schema_context(SCHEMA):
        invoice = _invoice("PARTIALLY_PAID", owner)
        day = invoice.issue_date
        assert day is not None
        return CreditNote.objects.create(
            number=f"CN-MX-{next(_numbers)}",
            invoice=invoice,
            account=invoice.account,
            owner_id=invoice.owner_id,
            issue_date=day,
            reason="Rabatt",
            amount=Decimal(10),
            net_amount=Decimal(10),
            amount_group=Decimal("78.13"),
            **_converted(day),
        )


def make_payment(world: Any, stage: str, owner: str) -> Payment:
    with schema_context(SCHEMA):
        day = business_unit("acme.de").today()
        return Payment.objects.create(
            number=f"PAY-MX-{next(_numbers)}",
            payer=_account(owner),
            owner_id=user_id(owner),
            received_on=day,
            reference="RE 1",
            amount=Decimal(50),
            amount_group=Decimal("390.63"),
            unallocated_amount=Decimal(50),
            **_converted(day),
        )


UPDATE_ORDER = """mutation($id: ID!, $ref: String, $notes: String) {
  orderUpdate(id: $id, customerReference: $ref, notes: $notes) {
    errors { field code message } order { id } } }"""
UPDATE_INVOICE = """mutation($id: ID!, $notes: String) {
  invoiceUpdate(id: $id, notes: $notes) { errors { field code message } invoice { id } } }"""
UPDATE_PAYMENT = """mutation($id: ID!, $ref: String) {
  paymentUpdate(id: $id, paymentReference: $ref) {
    errors { field code message } payment { id } } }"""

ORDER = SalesAdapter(
    object_type="order",
    graphql_type="Order",
    root="order",
    readable={
        "number": "number",
        "account": "account { id }",
        "contract": "contract { number }",
        "external_reference": "externalReference",
        "customer_reference": "customerReference",
        "notes": "notes",
        "owner": "owner { username }",
        "status": "status",
        "invoice_basis": "invoiceBasis",
        "order_date": "orderDate",
        "confirmed": "confirmed",
        "net_total": "netTotal { amount }",
        "tax_total": "taxTotal { amount }",
        "taxes": "taxes { rate }",
        "total": "total { amount }",
        "total_group": "totalGroup { amount }",
        "conversion": "conversion { rate }",
        "invoiced_amount": "invoicedAmount { amount }",
        "lines": "lines { position }",
        "deliveries": "deliveries { quantity }",
        "invoices": "invoices { id }",
    },
    filled=("number", "account", "contract", "status", "order_date", "total", "conversion"),
    writes={
        "customer_reference": (UPDATE_ORDER, lambda i: {"id": i, "ref": "PO-77"}),
        "notes": (UPDATE_ORDER, lambda i: {"id": i, "notes": "Liefertermin fix"}),
    },
    make=make_order,
    stages=("OPEN", "PARTIALLY_DELIVERED", "DELIVERED", "CANCELLED"),
    closed=("CANCELLED",),
)

INVOICE = SalesAdapter(
    object_type="invoice",
    graphql_type="Invoice",
    root="invoice",
    readable={
        "number": "number",
        "order": "order { id }",
        "account": "account { id }",
        "owner": "owner { username }",
        "status": "status",
        "notes": "notes",
        "issue_date": "issueDate",
        "due_date": "dueDate",
        "payment_terms": "paymentTerms",
        "net_total": "netTotal { amount }",
        "tax_total": "taxTotal { amount }",
        "taxes": "taxes { rate }",
        "total": "total { amount }",
        "total_group": "totalGroup { amount }",
        "conversion": "conversion { rate }",
        "credited_amount": "creditedAmount { amount }",
        "paid_amount": "paidAmount { amount }",
        "open_amount": "openAmount { amount }",
        "open_amount_group": "openAmountGroup { amount }",
        "lines": "lines { position }",
        "credit_notes": "creditNotes { number }",
        "allocations": "allocations { allocatedOn }",
        "document": "document { url }",
    },
    filled=("order", "account", "status", "total", "lines", "open_amount", "document"),
    writes={"notes": (UPDATE_INVOICE, lambda i: {"id": i, "notes": "Bitte überweisen"})},
    make=make_invoice,
    stages=("DRAFT", "ISSUED", "PARTIALLY_PAID", "PAID", "CANCELLED"),
    closed=("ISSUED", "PARTIALLY_PAID", "PAID", "CANCELLED"),
)

CREDIT_NOTE = SalesAdapter(
    object_type="credit_note",
    graphql_type="CreditNote",
    root="creditNote",
    readable={
        "number": "number",
        "invoice": "invoice { id }",
        "account": "account { id }",
        "owner": "owner { username }",
        "issue_date": "issueDate",
        "reason": "reason",
        "amount": "amount { amount }",
        "net_amount": "netAmount { amount }",
        "tax_amount": "taxAmount { amount }",
        "taxes": "taxes { rate }",
        "amount_group": "amountGroup { amount }",
        "conversion": "conversion { rate }",
    },
    filled=("number", "invoice", "account", "issue_date", "reason", "amount"),
    writes={},
    make=make_credit_note,
)

PAYMENT = SalesAdapter(
    object_type="payment",
    graphql_type="Payment",
    root="payment",
    readable={
        "number": "number",
        "payer": "payer { id }",
        "owner": "owner { username }",
        "received_on": "receivedOn",
        "reference": "reference",
        "external_reference": "externalReference",
        "amount": "amount { amount }",
        "amount_group": "amountGroup { amount }",
        "conversion": "conversion { rate }",
        "allocated_amount": "allocatedAmount { amount }",
        "unallocated_amount": "unallocatedAmount { amount }",
        "allocations": "allocations { allocatedOn }",
    },
    filled=("number", "payer", "received_on", "amount", "unallocated_amount"),
    writes={"reference": (UPDATE_PAYMENT, lambda i: {"id": i, "ref": "RE 2"})},
    make=make_payment,
)


def make_integration_event(world: Any, stage: str, owner: str) -> IntegrationEvent:
    """A payment.received event whose delivery to the BU's ERP failed (no owner: the same for
    everyone of the BU)."""
    with schema_context(SCHEMA):
        endpoint, _made = IntegrationEndpoint.objects.get_or_create(
            code="matrix",
            defaults={"url": "https://erp.example.com/in", "kinds": ["payment.received"]},
        )
        number = next(_numbers)
        event = IntegrationEvent.objects.create(
            event_id=uuid.uuid4(),
            kind="payment.received",
            idempotency_key=f"acme.de:payment.received:PAY-MX-{number}",
            record_type="Payment",
            record_id=number,
            payload={"kind": "payment.received", "data": {"number": f"PAY-MX-{number}"}},
        )
        webhook = WebhookDelivery.objects.create(
            url=endpoint.url,
            event_id=uuid.uuid4(),
            payload=event.payload,
            status="FAILED",
            attempts=4,
            last_error="HTTP 503",
            next_attempt_at=None,
        )
        IntegrationDelivery.objects.create(event=event, endpoint=endpoint, webhook=webhook)
        return event


INTEGRATION_EVENT = SalesAdapter(
    object_type="integration_event",
    graphql_type="IntegrationEvent",
    root="integrationEvent",
    readable={
        "kind": "kind",
        "idempotency_key": "idempotencyKey",
        "record": "record { id }",
        "payload": "payload",
        "occurred_at": "occurredAt",
        "deliveries": "deliveries { status }",
    },
    filled=("kind", "idempotency_key", "record", "payload", "occurred_at", "deliveries"),
    writes={},
    make=make_integration_event,
)


@dataclass(frozen=True)
class StageAction:
    """An action on a document in one stage: its mutation, and what it leaves when allowed."""

    action: str
    stage: str
    document: str
    done: Callable[[Any], bool]


ACTIONS = {
    "order": (
        StageAction(
            Action.ADVANCE,
            "OPEN",
            "mutation($id: ID!) { orderConfirm(id: $id) { errors { code } } }",
            lambda order: order.confirmed,
        ),
        StageAction(
            Action.RETREAT,
            "OPEN",
            "mutation($id: ID!) { orderCancel(id: $id) { errors { code } } }",
            lambda order: order.status == "CANCELLED",
        ),
    ),
    "integration_event": (
        StageAction(
            Action.EDIT,
            "",
            "mutation($id: ID!) { integrationEventRedeliver(event: $id) { errors { code } } }",
            lambda event: event.deliveries.filter(
                redeliveries=1, webhook__status="PENDING"
            ).exists(),
        ),
    ),
    "invoice": (
        StageAction(
            Action.ADVANCE,
            "DRAFT",
            "mutation($id: ID!) { invoiceIssue(id: $id, dueDate: null) { errors { code } } }",
            lambda invoice: invoice.status == "ISSUED" and invoice.number is not None,
        ),
        StageAction(
            Action.RETREAT,
            "ISSUED",
            "mutation($id: ID!) { invoiceCancel(id: $id) { errors { code } } }",
            lambda invoice: invoice.status == "CANCELLED",
        ),
    ),
}

ADAPTERS = (ORDER, INVOICE, CREDIT_NOTE, PAYMENT, INTEGRATION_EVENT)
CASES = [
    pytest.param(
        adapter,
        role,
        stage,
        owned,
        id=f"{adapter.object_type}-{role}-{stage or 'any'}-{'own' if owned else 'other'}",
    )
    for adapter in ADAPTERS
    for role in DEFAULT_ROLES
    for stage in adapter.stages
    for owned in (True, False)
]


def check_stage_action(ask: Any, gid: str, record: Any, step: StageAction, want: Any) -> None:
    model = type(record)
    with schema_context(SCHEMA):
        before = model_to_dict(model.objects.get(pk=record.pk))
    with rolled_back():
        codes = [e["code"] for e in payload_of(ask(step.document, {"id": gid}))["errors"]]
        if Action.VIEW not in want.actions:
            assert codes == ["NOT_FOUND"], step.action
        elif step.action not in want.actions:
            assert codes == ["PERMISSION_DENIED"], step.action
        else:
            assert codes == [], step.action
        with schema_context(SCHEMA):
            after = model.objects.get(pk=record.pk)
            if codes:
                assert model_to_dict(after) == before, step.action
            else:
                assert step.done(after), step.action


@pytest.mark.parametrize(("adapter", "role", "stage", "owned"), CASES)
def test_ledger_policy_through_the_api(world, graphql, settings, adapter, role, stage, owned):
    settings.REGION = "eu"
    username = member(role)
    record = adapter.make(world, stage, username if owned else OTHER)
    with schema_context(SCHEMA):
        unit = business_unit("acme.de")
    gid = to_global_id(adapter.graphql_type, f"{unit.pk}.{record.pk}")
    want = expected(adapter.object_type, tuple(adapter.readable), role, stage, owned=owned)

    def ask(query: str, variables: dict[str, Any] | None = None) -> Any:
        return graphql(query, variables, bu="acme.de", as_=username)

    check_reads(adapter, ask(adapter.one, {"id": gid}), want, refusal(adapter, role))
    for field in adapter.writes:
        check_write(adapter, ask, gid, record, stage, field, want)
    for step in ACTIONS.get(adapter.object_type, ()):
        if step.stage == stage:
            check_stage_action(ask, gid, record, step, want)


def test_the_oracle_gives_salespeople_their_customers_documents_to_read_only():
    own = expected("order", ("notes", "total"), "front_sales", "OPEN", owned=True)
    other = expected("order", ("notes",), "front_sales", "OPEN", owned=False)
    assert own.actions == frozenset({Action.VIEW})
    assert own.mode("total") == "read"
    assert other.actions == frozenset()
    finance = expected("invoice", ("notes", "open_amount"), "finance", "DRAFT", owned=False)
    assert finance.may_write("notes")
    assert finance.mode("open_amount") == "read"
