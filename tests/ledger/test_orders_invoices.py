"""Orders delivered in parts and invoiced against what was delivered: quantities, amounts,
gapless numbers, due dates from payment terms, cancellations and the credit-check hook."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from django_tenants.utils import schema_context

from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.ledger import credit, invoices, orders
from crm.tenants.ledger.invoices import InvoiceLineInput, payment_days
from crm.tenants.ledger.models import (
    DocumentSequence,
    Invoice,
    InvoiceStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from crm.tenants.ledger.orders import DeliveryInput
from crm.tests.ledger.helpers import (
    DE,
    confirmed_order,
    days_ago,
    deliver_all,
    finance,
    issued_invoice,
    make_account,
    make_order,
    manager,
    rate_on,
    refreshed,
    today,
)


def lines_of(order: Order) -> list[OrderLine]:
    return list(order.lines.order_by("position"))


def snapshot(order: Order) -> list[dict]:
    return [model_to_dict(refreshed(order))] + [model_to_dict(line) for line in lines_of(order)]


def test_an_order_is_numbered_priced_and_open_until_confirmed(world):
    with schema_context(DE):
        account = make_account()
        order = make_order(
            manager(), account, [("M-001", "10", "12.50"), ("M-002", "2.5", "3.3333")]
        )
        assert order.number == f"SO-{today().year}-000001"
        assert order.status == OrderStatus.OPEN
        assert order.confirmed is False
        first, second = lines_of(order)
        assert (first.material_code, first.amount) == ("M-001", Decimal("125.00"))
        # 2.5 × 3.3333 = 8.33325: rounded half up once, to the cent.
        assert second.amount == Decimal("8.33")
        assert order.total == Decimal("133.33")
        assert order.currency == "EUR"


def test_partial_delivery_then_invoice_of_what_was_delivered(world):
    with schema_context(DE):
        account = make_account()
        order = confirmed_order(account, [("M-001", "10", "12.50"), ("M-002", "4", "20")])
        first, second = lines_of(order)
        orders.order_deliver(manager(), order, deliveries=[DeliveryInput(first.pk, "6")])
        assert refreshed(order).status == OrderStatus.PARTIALLY_DELIVERED
        orders.order_deliver(
            manager(),
            order,
            deliveries=[DeliveryInput(first.pk, "1"), DeliveryInput(second.pk, "4")],
        )
        assert refreshed(order).status == OrderStatus.PARTIALLY_DELIVERED
        assert [d.quantity for d in refreshed(first).deliveries.order_by("id")] == [6, 1]

        invoice = issued_invoice(order)  # everything delivered and not yet invoiced
        assert [
            (line.order_line_id, line.quantity, line.amount) for line in invoice.lines.all()
        ] == [
            (first.pk, Decimal("7.000"), Decimal("87.50")),
            (second.pk, Decimal("4.000"), Decimal("80.00")),
        ]
        assert invoice.total == Decimal("167.50")
        assert invoice.open_amount == invoice.total
        assert invoice.status == InvoiceStatus.ISSUED
        assert refreshed(order).invoiced_amount == Decimal("167.50")

        # The rest of the first line, once delivered, is the next invoice.
        orders.order_deliver(manager(), order, deliveries=[DeliveryInput(first.pk, "3")])
        assert refreshed(order).status == OrderStatus.DELIVERED
        second_invoice = issued_invoice(order)
        assert second_invoice.total == Decimal("37.50")
        assert refreshed(order).invoiced_amount == refreshed(order).total


def test_invoicing_beyond_the_delivered_quantity_is_refused_and_changes_nothing(world):
    with schema_context(DE):
        account = make_account()
        order = confirmed_order(account, [("M-001", "10", "12.50")])
        (line,) = lines_of(order)
        orders.order_deliver(manager(), order, deliveries=[DeliveryInput(line.pk, "4")])
        before = snapshot(order)
        with pytest.raises(CrmError) as refused:
            invoices.invoice_create(finance(), order=order, lines=[InvoiceLineInput(line.pk, "5")])
        assert refused.value.code == ErrorCode.INVOICE_EXCEEDS_ORDER
        assert refused.value.field == "lines.0.quantity"
        assert refused.value.params["available"] == Decimal("4.000")
        assert snapshot(order) == before
        assert not Invoice.objects.filter(order=order).exists()

        # A draft reserves its quantity: a second invoice cannot take it again.
        invoices.invoice_create(finance(), order=order, lines=[InvoiceLineInput(line.pk, "3")])
        with pytest.raises(CrmError) as again:
            invoices.invoice_create(finance(), order=order, lines=[InvoiceLineInput(line.pk, "2")])
        assert again.value.code == ErrorCode.INVOICE_EXCEEDS_ORDER
        assert again.value.params["available"] == Decimal("1.000")
        # Nothing left at all: refused too.
        invoices.invoice_create(finance(), order=order)
        with pytest.raises(CrmError) as nothing:
            invoices.invoice_create(finance(), order=order)
        assert nothing.value.code == ErrorCode.INVOICE_EXCEEDS_ORDER


def test_an_order_invoiced_in_advance_is_invoiced_up_to_the_ordered_quantity(world):
    with schema_context(DE):
        order = confirmed_order(make_account(), [("M-001", "2", "50")], invoice_basis="ORDERED")
        (line,) = lines_of(order)
        invoice = issued_invoice(order)
        assert invoice.total == Decimal("100.00")
        with pytest.raises(CrmError) as refused:
            invoices.invoice_create(finance(), order=order, lines=[InvoiceLineInput(line.pk, "1")])
        assert refused.value.code == ErrorCode.INVOICE_EXCEEDS_ORDER


def test_partial_invoices_add_up_to_the_order_line_exactly(world):
    with schema_context(DE):
        order = confirmed_order(make_account(), [("M-001", "3", "0.3333")])
        (line,) = lines_of(order)
        assert line.amount == Decimal("1.00")  # 0.9999
        deliver_all(order)
        parts = [issued_invoice(order, lines=[(line.pk, "1")]).total for _ in range(3)]
        assert parts == [Decimal("0.33"), Decimal("0.33"), Decimal("0.34")]
        assert sum(parts) == line.amount


def test_deliveries_need_a_confirmed_order_and_never_exceed_it(world):
    with schema_context(DE):
        order = make_order(manager(), make_account(), [("M-001", "2", "10")])
        (line,) = lines_of(order)
        with pytest.raises(CrmError) as unconfirmed:
            orders.order_deliver(manager(), order, deliveries=[DeliveryInput(line.pk, "1")])
        assert unconfirmed.value.code == ErrorCode.ORDER_NOT_CONFIRMED
        with pytest.raises(CrmError) as not_invoiceable:
            invoices.invoice_create(finance(), order=order)
        assert not_invoiceable.value.code == ErrorCode.ORDER_NOT_CONFIRMED
        orders.order_confirm(manager(), order)
        before = snapshot(order)
        with pytest.raises(CrmError) as too_much:
            orders.order_deliver(
                manager(),
                order,
                deliveries=[DeliveryInput(line.pk, "1.5"), DeliveryInput(line.pk, "1")],
            )
        assert too_much.value.code == ErrorCode.DELIVERY_EXCEEDS_ORDER
        assert too_much.value.field == "lines.1.quantity"
        assert snapshot(order) == before
        with pytest.raises(CrmError) as future:
            orders.order_deliver(
                manager(),
                order,
                deliveries=[DeliveryInput(line.pk, "1")],
                delivered_on=today() + datetime.timedelta(days=1),
            )
        assert future.value.code == ErrorCode.INVALID_ARGUMENT


def test_invoice_numbers_run_per_business_unit_without_gaps(world):
    with schema_context(DE):
        account = make_account()
        rate_on(days_ago(20), "EUR", "0.125")  # nothing after it for 10 days
        order = confirmed_order(account, [("M-001", "5", "10")], order_date=days_ago(20))
        deliver_all(order, delivered_on=days_ago(20))
        (line,) = lines_of(order)
        first = issued_invoice(order, lines=[(line.pk, "1")])
        draft = invoices.invoice_create(
            finance(), order=order, lines=[InvoiceLineInput(line.pk, "1")]
        )
        # An issue that fails (no rate that day) rolls back and gives its number back.
        with pytest.raises(CrmError) as no_rate:
            invoices.invoice_issue(finance(), draft, issue_date=days_ago(10))
        assert no_rate.value.code == ErrorCode.RATE_NOT_FOUND
        assert refreshed(draft).number is None
        second = invoices.invoice_issue(finance(), draft)
        # A cancelled invoice keeps its number: still no gap.
        invoices.invoice_cancel(finance(), second)
        third = issued_invoice(order, lines=[(line.pk, "1")])
        year = today().year
        assert [first.number, second.number, third.number] == [
            f"INV-{year}-000001",
            f"INV-{year}-000002",
            f"INV-{year}-000003",
        ]
        assert DocumentSequence.objects.get(kind="INV", year=year).last_number == 3


@pytest.mark.parametrize(
    ("terms", "days"),
    [
        ("30 Tage netto", 30),
        ("2 % Skonto 10 Tage, 45 Tage netto", 45),
        ("net 60", 60),
        ("60日", 60),
        ("", 30),
        ("sofort ohne Abzug", None),
    ],
)
def test_payment_terms_give_the_days_to_pay(terms, days):
    assert payment_days(terms) == days


def test_the_due_date_comes_from_the_account_payment_terms(world):
    with schema_context(DE):
        day = today() - datetime.timedelta(days=1)
        invoice = issued_invoice(
            deliver_all(
                confirmed_order(
                    make_account(terms="45 Tage netto"), [("M-001", "1", "9")], order_date=day
                )
            ),
            issue_date=day,
        )
        assert invoice.due_date == day + datetime.timedelta(days=45)
        assert (invoice.payment_terms, invoice.payment_days) == ("45 Tage netto", 45)

        order = deliver_all(confirmed_order(make_account(terms="sofort"), [("M-001", "1", "9")]))
        draft = invoices.invoice_create(finance(), order=order)
        with pytest.raises(CrmError) as unreadable:
            invoices.invoice_issue(finance(), draft)
        assert unreadable.value.code == ErrorCode.PAYMENT_TERMS_UNREADABLE
        assert refreshed(draft).status == InvoiceStatus.DRAFT
        issued = invoices.invoice_issue(finance(), draft, due_date=today())
        assert issued.due_date == today()
        assert issued.payment_days == 0


def test_cancelling_an_invoice_gives_its_quantities_back_to_the_order(world):
    with schema_context(DE):
        order = deliver_all(confirmed_order(make_account(), [("M-001", "2", "10")]))
        invoice = issued_invoice(order)
        assert refreshed(order).invoiced_amount == Decimal("20.00")
        cancelled = invoices.invoice_cancel(finance(), invoice)
        assert cancelled.status == InvoiceStatus.CANCELLED
        assert cancelled.number == invoice.number
        assert refreshed(order).invoiced_amount == 0
        assert lines_of(order)[0].invoiced_quantity == 0
        assert issued_invoice(order).total == Decimal("20.00")
        with pytest.raises(CrmError) as closed:
            invoices.invoice_cancel(finance(), cancelled)
        assert closed.value.code == ErrorCode.RECORD_CLOSED


def test_an_order_with_deliveries_cannot_be_cancelled(world):
    with schema_context(DE):
        order = deliver_all(confirmed_order(make_account(), [("M-001", "2", "10")]))
        with pytest.raises(CrmError) as refused:
            orders.order_cancel(manager(), order)
        assert refused.value.code == ErrorCode.INVALID_STAGE_CHANGE
        untouched = make_order(manager(), make_account(), [("M-001", "1", "1")])
        assert orders.order_cancel(manager(), untouched).status == OrderStatus.CANCELLED
        with pytest.raises(CrmError) as closed:
            orders.order_confirm(manager(), untouched)
        assert closed.value.code == ErrorCode.RECORD_CLOSED


def test_confirmation_runs_the_credit_check_hook_which_can_block_it(world):
    seen: list[str] = []

    def over_the_limit(order, access):
        seen.append(order.number)
        if order.total > 1000:
            raise CrmError(ErrorCode.PERMISSION_DENIED, action="confirm", object="order", name="*")

    credit.register_credit_check(over_the_limit)
    try:
        with schema_context(DE):
            small = make_order(manager(), make_account(), [("M-001", "1", "10")])
            big = make_order(manager(), make_account(), [("M-001", "1", "5000")])
            assert orders.order_confirm(manager(), small).confirmed is True
            with pytest.raises(CrmError):
                orders.order_confirm(manager(), big)
            assert refreshed(big).confirmed is False
            assert seen == [small.number, big.number]
    finally:
        credit.unregister_credit_check(over_the_limit)
    with schema_context(DE), transaction.atomic():
        assert orders.order_confirm(manager(), big).confirmed is True
