"""Amounts in the transaction currency and in the group currency (CNY) at the rate of each
document's business date: EUR (cents) in the German BU, JPY (no minor unit) in the Japanese."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.ledger import invoices, orders
from crm.tenants.ledger.models import DocumentSequence, Order
from crm.tests.ledger.helpers import (
    DE,
    JP,
    confirmed_order,
    days_ago,
    deliver_all,
    delivered_invoice,
    finance,
    issued_invoice,
    make_account,
    make_order,
    manager,
    pay,
    rate_on,
    refreshed,
)


def test_group_amounts_use_the_rate_of_each_business_date(world):
    order_day, issue_day, paid_day = days_ago(40), days_ago(30), days_ago(20)
    rate_on(order_day, "EUR", "0.125")  # 1 EUR = 8 CNY
    rate_on(issue_day, "EUR", "0.1")  # 1 EUR = 10 CNY
    rate_on(paid_day, "EUR", "0.2")  # 1 EUR = 5 CNY
    with schema_context(DE):
        account = make_account()
        order = confirmed_order(account, [("M-001", "4", "25.00")], order_date=order_day)
        assert (order.total, order.total_group) == (Decimal("100.00"), Decimal("800.00"))
        assert (order.fx_date, order.fx_rate_date, order.fx_rate_type) == (
            order_day,
            order_day,
            "SPOT",
        )
        assert order.fx_rate == Decimal("8.000000000000")
        assert (order.currency, order.group_currency) == ("EUR", "CNY")
        assert order.lines.get().amount_group == Decimal("800.00")

        deliver_all(order, delivered_on=order_day)
        invoice = issued_invoice(order, issue_date=issue_day)
        assert (invoice.total, invoice.total_group) == (Decimal("100.00"), Decimal("1000.00"))
        assert invoice.open_amount_group == Decimal("1000.00")
        assert (invoice.fx_rate, invoice.fx_rate_date) == (Decimal(10), issue_day)

        payment = pay(account, "60.00", [(invoice, "60.00")], received_on=paid_day)
        assert payment.amount_group == Decimal("300.00")
        assert payment.allocations.get().amount_group == Decimal("300.00")
        # The invoice's open amount stays valued at its own rate.
        assert refreshed(invoice).open_amount_group == Decimal("400.00")


def test_the_rate_is_the_latest_on_or_before_the_business_date_and_its_date_is_kept(world):
    rate_on(days_ago(50), "EUR", "0.125")
    with schema_context(DE):
        order = make_order(
            manager(), make_account(), [("M-001", "1", "10")], order_date=days_ago(48)
        )
        assert order.fx_date == days_ago(48)
        assert order.fx_rate_date == days_ago(50)
        assert order.total_group == Decimal("80.00")


def test_without_a_rate_for_the_date_nothing_is_recorded(world):
    with schema_context(DE):
        account = make_account()
        with pytest.raises(CrmError) as missing:
            make_order(manager(), account, [("M-001", "1", "10")], order_date=days_ago(300))
        assert missing.value.code == ErrorCode.RATE_NOT_FOUND
        assert not Order.objects.filter(account=account).exists()
        assert not DocumentSequence.objects.filter(kind="SO").exists()
        with pytest.raises(CrmError) as unknown:
            make_order(manager(), account, [("M-001", "1", "10")], currency="XYZ")
        assert unknown.value.code == ErrorCode.UNKNOWN_CURRENCY


def test_lines_add_up_to_the_total_in_the_group_currency(world):
    with schema_context(DE):
        # 1 EUR = 7.8125 CNY: each 0.01 EUR line is 0.078125 → 0.08; the total 0.03 is 0.23.
        order = make_order(
            manager(),
            make_account(),
            [("M-001", "1", "0.01"), ("M-002", "1", "0.01"), ("M-003", "1", "0.01")],
        )
        lines = [line.amount_group for line in order.lines.order_by("position")]
        assert order.total_group == Decimal("0.23")
        assert sum(lines) == order.total_group
        assert lines == [Decimal("0.07"), Decimal("0.08"), Decimal("0.08")]


def test_yen_have_no_minor_unit(world):
    with schema_context(JP):
        account = make_account("acme.jp")
        # 3 × 333.5 = 1000.5 yen: rounded half up to 1001 (unit prices may be finer).
        order = confirmed_order(account, [("M-001", "3", "333.5")], "acme.jp")
        assert order.currency == "JPY"
        assert order.total == Decimal(1001)
        # 1 JPY = 1/21.05 CNY, stored with 12 places: 1001 × 0.047505938242 = 47.5534...
        assert order.fx_rate == Decimal("0.047505938242")
        assert order.total_group == Decimal("47.55")
        deliver_all(order, "acme.jp")
        invoice = issued_invoice(order, "acme.jp")
        assert invoice.total == Decimal(1001)
        assert invoice.number.startswith("INV-")
        with pytest.raises(CrmError) as fraction:
            pay(account, "1000.5", [(invoice, "1000.5")], "acme.jp")
        assert fraction.value.code == ErrorCode.INVALID_ARGUMENT
        payment = pay(account, "1001", [(invoice, "1001")], "acme.jp")
        assert payment.amount_group == Decimal("47.55")
        assert refreshed(invoice).open_amount == 0
        # A credit note in yen is whole yen too.
        other = delivered_invoice(account, "5000", "acme.jp")
        with pytest.raises(CrmError) as fine:
            invoices.credit_note_create(finance("acme.jp"), invoice=other, amount="0.5", reason="x")
        assert fine.value.code == ErrorCode.INVALID_ARGUMENT
        note = invoices.credit_note_create(
            finance("acme.jp"), invoice=other, amount="500", reason="値引き"
        )
        assert note.amount_group == Decimal("23.75")  # 500 × 0.047505938242 = 23.7529...


def test_each_business_unit_numbers_its_own_documents(world):
    with schema_context(DE):
        de_order = make_order(manager(), make_account(), [("M-001", "1", "1")])
    with schema_context(JP):
        jp_order = make_order(manager("acme.jp"), make_account("acme.jp"), [("M-001", "1", "1")])
    assert de_order.number == jp_order.number  # two BUs, two sequences
    with schema_context(JP):
        assert Order.objects.filter(number=de_order.number).get().pk == jp_order.pk
        with pytest.raises(CrmError) as other:
            orders.get_order(manager("acme.jp"), de_order.pk + 1000)
        assert other.value.code == ErrorCode.NOT_FOUND
