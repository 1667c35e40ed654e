"""Receivables aging per customer: exact buckets by days past due, in EUR and in CNY at each
invoice's rate, today and at an earlier date (later payments, credit notes and cancellations
undone); unapplied cash; and the credit exposure the group-wide `receivables` aggregate reports."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from crm.masterdata.customers.models import Customer
from crm.regions.federation.aggregates import receivables as aggregate
from crm.tenants.ledger import invoices, receivables
from crm.tenants.ledger.receivables import BUCKETS, compute_aging, exposures
from crm.tests.groupviews.helpers import answer_of
from crm.tests.ledger.helpers import (
    DE,
    confirmed_order,
    days_ago,
    delivered_invoice,
    finance,
    make_account,
    pay,
    rate_on,
    today,
)
from crm.tests.relationships.helpers import business_unit


def d(value: str) -> Decimal:
    return Decimal(value)


def buckets(*values: str) -> dict[str, Decimal]:
    return dict(zip(BUCKETS, map(Decimal, values), strict=True))


@pytest.fixture
def ledger(world):
    """One customer's invoices spread over the buckets (see each line), in the German BU.

    Rates: 1 EUR = 8 CNY on every day from 130 to 3 days ago; the world's 7.8125 after that."""
    for days in range(130, 2, -5):
        rate_on(days_ago(days), "EUR", "0.125")
    with schema_context(DE):
        account = make_account()

        def invoice(amount: str, issued: int, due: int | None = None):
            day = days_ago(issued)
            return delivered_invoice(
                account,
                amount,
                issue_date=day,
                due_date=days_ago(due if due is not None else issued),
                order_date=day,
            )

        first = invoice("100.00", 0)  # due today: current; 20 credited today
        invoices.credit_note_create(finance(), invoice=first, amount="20.00", reason="Rabatt")
        invoice("200.00", 1)  # 1 day past due (rate 7.8125)
        invoice("300.00", 30)  # 30 days
        invoice("400.00", 31)  # 31 days
        fifth = invoice("500.00", 60)  # 60 days; 100 credited today
        invoices.credit_note_create(finance(), invoice=fifth, amount="100.00", reason="Retoure")
        invoice("600.00", 61)
        invoice("700.00", 90)
        invoice("800.00", 91)
        tenth = invoice("150.00", 20, due=10)  # 50 paid today
        pay(account, "50.00", [(tenth, "50.00")])
        paid = invoice("250.00", 50)  # paid in full today, with 30 over-paid
        pay(account, "280.00", [(paid, "250.00")])
        pay(account, "50.00", received_on=days_ago(20))  # unapplied since 20 days ago
        cancelled = invoice("1000.00", 40)  # cancelled today
        invoices.invoice_cancel(finance(), cancelled)
        confirmed_order(account, [("M-001", "2", "50.00")])  # on order, not invoiced
        yield account


def test_aging_today_in_exact_buckets(ledger):
    with schema_context(DE):
        aging = compute_aging(business_unit("acme.de"), as_of=today())
    (row,) = [row for row in aging.rows if row.account_id == ledger.pk]
    assert row.currency == "EUR"
    assert row.invoices == 9
    assert row.buckets == buckets("80.00", "600.00", "800.00", "1300.00", "800.00")
    assert row.total == d("3580.00")
    # CNY: the first two at 7.8125 (80 → 625, 200 → 1562.50), the others at 8.
    assert row.buckets_group == buckets("625.00", "4762.50", "6400.00", "10400.00", "6400.00")
    # Unapplied cash: 50 (at 8) and the 30 over-paid today (at 7.8125: 234.375 → 234.38).
    assert (row.unapplied, row.unapplied_group) == (d("80.00"), d("634.38"))


def test_aging_at_an_earlier_date_undoes_what_happened_after_it(ledger):
    with schema_context(DE):
        aging = compute_aging(business_unit("acme.de"), as_of=days_ago(15))
    (row,) = [row for row in aging.rows if row.account_id == ledger.pk]
    # Invoices issued after it are left out; the payment, the credit notes and the
    # cancellation of today are undone: the 150 is current then, the paid 250 is 35 days past
    # due, the cancelled 1000 is 25 days past due.
    assert row.buckets == buckets("150.00", "1700.00", "1350.00", "1500.00", "0")
    assert row.invoices == 9
    assert row.buckets_group == buckets("1200.00", "13600.00", "10800.00", "12000.00", "0")
    assert (row.unapplied, row.unapplied_group) == (d("50.00"), d("400.00"))


def test_aging_for_one_account_only(ledger):
    with schema_context(DE):
        other = make_account()
        delivered_invoice(other, "10.00")
        unit = business_unit("acme.de")
        assert {r.account_id for r in compute_aging(unit, as_of=today()).rows} >= {
            ledger.pk,
            other.pk,
        }
        only = compute_aging(unit, as_of=today(), accounts=[other.pk])
    assert [(r.account_id, r.total) for r in only.rows] == [(other.pk, d("10.00"))]


def test_exposure_per_golden_customer_in_the_group_currency(ledger):
    with schema_context(DE):
        (exposure,) = exposures(
            business_unit("acme.de"), today(), customer_ids=[ledger.customer_id]
        )
    assert exposure.customer_id == ledger.customer_id
    # Open invoices 28587.50 less unapplied cash 634.38.
    assert exposure.open_receivables == d("27953.12")
    # The cancelled invoice's order is open again (1000 EUR at 8) and 100 EUR on order today.
    assert exposure.open_orders == d("8781.25")


def test_the_receivables_aggregate_answers_for_real(ledger):
    code = Customer.objects.get(pk=ledger.customer_id).code
    answer = answer_of("eu", "receivables", as_of=today())
    assert answer["available"] is True
    assert answer["business_units"] == ["de"]
    assert {
        "business_unit": "de",
        "customer": code,
        "open_receivables": "27953.12",
        "open_orders": "8781.25",
    } in answer["rows"]
    assert aggregate.set_provider(receivables.exposure_provider) is receivables.exposure_provider


def test_a_date_before_any_invoice_has_no_receivables(ledger):
    with schema_context(DE):
        aging = compute_aging(business_unit("acme.de"), as_of=days_ago(200))
    assert [row for row in aging.rows if row.account_id == ledger.pk] == []
