"""Payments allocated to invoices (partly, several per payment), over-payments kept as the
customer's credit, over-allocation and currency mismatches refused, and credit notes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django_tenants.utils import schema_context

from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.ledger import invoices, payments
from crm.tenants.ledger.models import Allocation, InvoiceStatus, Payment
from crm.tenants.ledger.payments import AllocationInput
from crm.tests.ledger.helpers import (
    DE,
    delivered_invoice,
    finance,
    make_account,
    pay,
    refreshed,
    today,
)


def state(*records):
    return [model_to_dict(refreshed(record)) for record in records]


def test_one_payment_settles_several_invoices_in_full_and_in_part(world):
    with schema_context(DE):
        account = make_account()
        first = delivered_invoice(account, "100.00")
        second = delivered_invoice(account, "250.00")
        third = delivered_invoice(account, "80.00")
        payment = pay(account, "300.00", [(first, "100.00"), (second, "150.00"), (third, "50.00")])
        assert (payment.allocated_amount, payment.unallocated_amount) == (Decimal(300), 0)
        assert refreshed(first).status == InvoiceStatus.PAID
        assert refreshed(first).open_amount == 0
        assert refreshed(second).status == InvoiceStatus.PARTIALLY_PAID
        assert refreshed(second).open_amount == Decimal("100.00")
        assert refreshed(third).open_amount == Decimal("30.00")
        assert sorted(
            Allocation.objects.filter(payment=payment).values_list("invoice_id", "amount")
        ) == sorted([(first.pk, Decimal(100)), (second.pk, Decimal(150)), (third.pk, Decimal(50))])
        # A second payment settles the rest of the second invoice.
        pay(account, "100.00", [(second, "100.00")])
        assert refreshed(second).status == InvoiceStatus.PAID


def test_an_over_payment_is_kept_as_credit_and_allocated_later(world):
    with schema_context(DE):
        account = make_account()
        invoice = delivered_invoice(account, "100.00")
        payment = pay(account, "130.00", [(invoice, "100.00")], reference="Überweisung 4711")
        assert refreshed(invoice).status == InvoiceStatus.PAID
        assert (payment.allocated_amount, payment.unallocated_amount) == (
            Decimal("100.00"),
            Decimal("30.00"),
        )
        # The credit is never lost: it stays on the payment until a later invoice takes it.
        later = delivered_invoice(account, "45.00")
        payments.payment_allocate(
            finance(), payment, allocations=[AllocationInput(later.pk, "30.00")]
        )
        assert refreshed(payment).unallocated_amount == 0
        assert refreshed(later).open_amount == Decimal("15.00")
        assert refreshed(later).status == InvoiceStatus.PARTIALLY_PAID
        # A payment with no allocation at all is credit in full.
        advance = pay(account, "20.00")
        assert advance.unallocated_amount == Decimal("20.00")


def test_over_allocation_is_refused_and_nothing_is_allocated(world):
    with schema_context(DE):
        account = make_account()
        first = delivered_invoice(account, "100.00")
        second = delivered_invoice(account, "100.00")
        payment = pay(account, "150.00")
        before = state(payment, first, second)
        # More than the payment has unallocated (over two invoices).
        with pytest.raises(CrmError) as beyond_payment:
            payments.payment_allocate(
                finance(),
                payment,
                allocations=[AllocationInput(first.pk, "100.00"), AllocationInput(second.pk, "60")],
            )
        assert beyond_payment.value.code == ErrorCode.PAYMENT_OVER_ALLOCATED
        assert beyond_payment.value.field == "allocations.1.amount"
        assert str(beyond_payment.value.params["available"].amount) == "50.00"
        # More than an invoice has open (twice the same invoice counts together).
        with pytest.raises(CrmError) as beyond_invoice:
            payments.payment_allocate(
                finance(),
                payment,
                allocations=[AllocationInput(first.pk, "80"), AllocationInput(first.pk, "30")],
            )
        assert beyond_invoice.value.code == ErrorCode.PAYMENT_OVER_ALLOCATED
        assert beyond_invoice.value.field == "allocations.1.amount"
        assert state(payment, first, second) == before
        assert not Allocation.objects.filter(payment=payment).exists()
        # And at recording: the payment is not recorded either.
        with pytest.raises(CrmError) as at_record:
            pay(account, "50.00", [(first, "60.00")])
        assert at_record.value.code == ErrorCode.PAYMENT_OVER_ALLOCATED
        assert Payment.objects.filter(payer=account).count() == 1
        # A paid invoice has nothing open.
        payments.payment_allocate(
            finance(), payment, allocations=[AllocationInput(first.pk, "100")]
        )
        with pytest.raises(CrmError) as paid:
            payments.payment_allocate(
                finance(), payment, allocations=[AllocationInput(first.pk, "1")]
            )
        assert paid.value.code == ErrorCode.PAYMENT_OVER_ALLOCATED


def test_an_allocation_in_another_currency_is_refused(world):
    with schema_context(DE):
        account = make_account()
        invoice = delivered_invoice(account, "100.00")  # EUR
        payment = pay(account, "700", currency="CNY")
        before = state(payment, invoice)
        with pytest.raises(CrmError) as mismatch:
            payments.payment_allocate(
                finance(), payment, allocations=[AllocationInput(invoice.pk, "100")]
            )
        assert mismatch.value.code == ErrorCode.CURRENCY_MISMATCH
        assert mismatch.value.params["currency"] == "EUR"
        assert mismatch.value.params["expected"] == "CNY"
        assert state(payment, invoice) == before


def test_an_invoice_of_another_customer_is_not_paid_by_this_one(world):
    with schema_context(DE):
        invoice = delivered_invoice(make_account(), "100.00")
        payment = pay(make_account(), "100.00")
        with pytest.raises(CrmError) as other:
            payments.payment_allocate(
                finance(), payment, allocations=[AllocationInput(invoice.pk, "100")]
            )
        assert other.value.code == ErrorCode.INVALID_ARGUMENT
        assert other.value.field == "allocations.0.invoice"


def test_amounts_finer_than_the_currency_or_not_positive_are_refused(world):
    with schema_context(DE):
        account = make_account()
        for amount in ("10.005", "0", "-5", "abc", "1e20"):
            with pytest.raises(CrmError) as bad:
                pay(account, amount)
            assert bad.value.code == ErrorCode.INVALID_ARGUMENT, amount
            assert bad.value.field == "amount"
        assert not Payment.objects.filter(payer=account).exists()


def test_a_credit_note_reduces_the_open_amount_never_below_zero(world):
    with schema_context(DE):
        account = make_account()
        invoice = delivered_invoice(account, "200.00")
        note = invoices.credit_note_create(
            finance(), invoice=invoice, amount="50.00", reason="Transportschaden"
        )
        assert note.number == f"CN-{today().year}-000001"
        assert note.amount == Decimal("50.00")
        assert refreshed(invoice).open_amount == Decimal("150.00")
        assert refreshed(invoice).credited_amount == Decimal("50.00")
        assert refreshed(invoice).status == InvoiceStatus.PARTIALLY_PAID
        before = state(invoice)
        with pytest.raises(CrmError) as too_much:
            invoices.credit_note_create(finance(), invoice=invoice, amount="150.01", reason="x")
        assert too_much.value.code == ErrorCode.CREDIT_NOTE_EXCEEDS_INVOICE
        assert str(too_much.value.params["available"].amount) == "150.00"
        assert state(invoice) == before
        # Payment and credit together settle it; nothing is left to credit.
        pay(account, "150.00", [(invoice, "150.00")])
        assert refreshed(invoice).status == InvoiceStatus.PAID
        with pytest.raises(CrmError) as settled:
            invoices.credit_note_create(finance(), invoice=invoice, amount="1", reason="x")
        assert settled.value.code == ErrorCode.CREDIT_NOTE_EXCEEDS_INVOICE
        # A paid or credited invoice is not cancelled: it is corrected by credit notes.
        with pytest.raises(CrmError) as cancel:
            invoices.invoice_cancel(finance(), invoice)
        assert cancel.value.code == ErrorCode.INVALID_STAGE_CHANGE


def test_a_draft_cannot_be_credited_or_paid(world):
    from crm.tenants.ledger.invoices import invoice_create
    from crm.tests.ledger.helpers import confirmed_order, deliver_all

    with schema_context(DE):
        account = make_account()
        draft = invoice_create(
            finance(), order=deliver_all(confirmed_order(account, [("M-001", "1", "10")]))
        )
        with pytest.raises(CrmError) as credit:
            invoices.credit_note_create(finance(), invoice=draft, amount="1", reason="x")
        assert credit.value.code == ErrorCode.INVALID_STAGE_CHANGE
        payment = pay(account, "10")
        with pytest.raises(CrmError) as paid:
            payments.payment_allocate(
                finance(), payment, allocations=[AllocationInput(draft.pk, "10")]
            )
        assert paid.value.code == ErrorCode.INVALID_ARGUMENT


def test_the_same_external_payment_is_recorded_once(world):
    with schema_context(DE):
        account = make_account()
        first = pay(account, "10.00", external_reference="BANK-2026-0001")
        with pytest.raises(CrmError) as again:
            pay(account, "10.00", external_reference="BANK-2026-0001")
        assert again.value.code == ErrorCode.RECORD_DUPLICATE
        assert again.value.params["id"] == first.number
