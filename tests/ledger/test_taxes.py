"""Tax on orders, invoices and credit notes: each line's rate carried from the signed contract's
quote (or the BU's rates for an order without one), tax per line with the quotes' rounding rule
(minor units; JPY none), net / tax / gross totals, partial invoices adding up to the order
exactly, receivables and payments on the gross, credit notes reversing the tax in proportion.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.contracts.models import Contract
from crm.tenants.ledger import invoices, orders, taxes
from crm.tenants.ledger.invoices import InvoiceLineInput
from crm.tenants.ledger.models import (
    CreditNoteTax,
    DocumentSequence,
    Invoice,
    InvoiceStatus,
    Order,
    OrderLine,
)
from crm.tenants.ledger.orders import DeliveryInput
from crm.tenants.quotes.models import TaxRate
from crm.tests.contracts.helpers import make_contract
from crm.tests.ledger.helpers import (
    DE,
    JP,
    confirmed_order,
    deliver_all,
    finance,
    gid,
    issued_invoice,
    make_account,
    make_order,
    manager,
    material,
    pay,
    reduced,
    refreshed,
    signed_contract,
    today,
)

D = Decimal


@pytest.fixture
def eu(settings: Any) -> None:
    settings.REGION = "eu"


def amounts(record: Any) -> tuple[str, str, str]:
    """A document's (net, tax, gross) as text."""
    net = getattr(record, "net_total", None)
    if net is None:
        net = record.net_amount
    tax = getattr(record, "tax_total", None)
    if tax is None:
        tax = record.tax_amount
    gross = getattr(record, "total", None)
    if gross is None:
        gross = record.amount
    return tuple(format(value.normalize(), "f") for value in (net, tax, gross))  # type: ignore[return-value]


def invoice_parts(order: Order, quantities: list[dict[int, str]]) -> list[Invoice]:
    """Issued invoices of the order, each taking the given quantities of its lines (by pk)."""
    made = []
    for parts in quantities:
        made.append(issued_invoice(order, lines=list(parts.items())))
    return made


# -- orders: the rate of each line ----------------------------------------------------------


def test_an_order_has_tax_per_line_and_net_tax_gross_totals(world):
    with schema_context(DE):
        reduced("M-002")
        order = make_order(
            manager(),
            make_account(),
            [
                ("M-001", "3", "33.33", ""),
                ("M-002", "7", "2.99", ""),
                ("M-003", "1", "5", "exempt"),
            ],
        )
        lines = list(order.lines.order_by("position"))
    # 99.99 × 19 % = 18.9981 → 19.00; 20.93 × 7 % = 1.4651 → 1.47; 5.00 exempt.
    assert [(line.tax_code, line.tax_rate, line.tax_amount) for line in lines] == [
        ("standard", D("19"), D("19.00")),
        ("reduced", D("7"), D("1.47")),
        ("exempt", D("0"), D("0")),
    ]
    assert amounts(order) == ("125.92", "20.47", "146.39")
    assert order.total_group == D("1143.67")  # the gross × 7.8125 = 1143.671875
    # The lines in the group currency are net and add up to the net converted.
    assert sum(line.amount_group for line in lines) == D("983.75")  # 125.92 × 7.8125 = 983.75
    assert [(p.code, p.rate, p.net, p.tax) for p in taxes.by_rate(lines)] == [
        ("standard", D("19"), D("99.99"), D("19.00")),
        ("reduced", D("7"), D("20.93"), D("1.47")),
        ("exempt", D("0"), D("5.00"), D("0")),
    ]


def test_yen_have_no_minor_unit(world):
    with schema_context(JP):
        reduced("M-002")
        order = make_order(
            manager("acme.jp"),
            make_account("acme.jp"),
            [("M-001", "3", "333", ""), ("M-002", "1", "1234", ""), ("M-003", "1", "15", "")],
            currency="JPY",
        )
        lines = list(order.lines.order_by("position"))
    # 999 × 10 % = 99.9 → 100; 1234 × 8 % = 98.72 → 99; 15 × 10 % = 1.5 → 2 (half up).
    assert [line.tax_amount for line in lines] == [D("100"), D("99"), D("2")]
    assert amounts(order) == ("2248", "201", "2449")


def test_an_order_from_a_signed_contract_keeps_the_rates_signed(world):
    reduced("M-002")
    contract = signed_contract(["M-001", "M-002"], ["2", "3"])
    with schema_context(DE):
        # From today the standard rate is 16 %: orders without a contract take it ...
        TaxRate.objects.filter(code="standard").update(valid_to=today() - datetime.timedelta(1))
        TaxRate.objects.create(
            code="standard", name="standard", rate=D("16"), is_default=True, valid_from=today()
        )
        erp = make_order(manager(), contract.account, [("M-001", "1", "100", "")])
        assert erp.lines.get().tax_rate == D("16")
        # ... an order from the contract keeps the rates the customer signed.
        order = make_order(
            manager(),
            contract.account,
            [("M-001", "2", "11.50", ""), ("M-002", "3", "12.50", "")],
            contract_id=contract.pk,
        )
        assert order.contract_number == contract.number
        assert order.currency == contract.currency
        assert [(line.tax_code, line.tax_rate) for line in order.lines.order_by("position")] == [
            ("standard", D("19")),
            ("reduced", D("7")),
        ]
        # 23.00 × 19 % = 4.37; 37.50 × 7 % = 2.625 → 2.63
        assert amounts(order) == ("60.5", "7", "67.5")


def test_orders_from_contracts_and_tax_codes_refuse_bad_input_and_change_nothing(world):
    unsigned = make_contract(codes=["M-001"], quantities=["1"])
    contract = signed_contract(["M-001"], ["1"])
    with schema_context(DE):
        stranger = make_account()
        before = (Order.objects.count(), OrderLine.objects.count(), _sequences())

        def refused(account: Any, lines: list[Any], **fields: Any) -> tuple[str, str | None]:
            with pytest.raises(CrmError) as caught:
                make_order(manager(), account, lines, **fields)
            return caught.value.code, caught.value.field

        one = [("M-001", "1", "10", "")]
        assert refused(unsigned.account, one, contract_id=unsigned.pk) == (
            ErrorCode.CONTRACT_NOT_SIGNED,
            "contractId",
        )
        assert refused(contract.account, one, contract_id=contract.pk + 10_000) == (
            ErrorCode.NOT_FOUND,
            "contractId",
        )
        assert refused(stranger, one, contract_id=contract.pk) == (
            ErrorCode.INVALID_ARGUMENT,
            "account",
        )
        assert refused(contract.account, [("M-002", "1", "10", "")], contract_id=contract.pk) == (
            ErrorCode.INVALID_ARGUMENT,
            "lines.0.material",
        )
        assert refused(
            contract.account, [("M-001", "1", "10", "reduced")], contract_id=contract.pk
        ) == (ErrorCode.INVALID_ARGUMENT, "lines.0.taxCode")
        assert refused(contract.account, one, contract_id=contract.pk, currency="JPY") == (
            ErrorCode.INVALID_ARGUMENT,
            "currency",
        )
        assert refused(
            contract.account, one, contract_id=contract.pk, contract_number="C-999999"
        ) == (ErrorCode.INVALID_ARGUMENT, "contractNumber")
        assert refused(stranger, [("M-001", "1", "10", "luxury")]) == (
            ErrorCode.TAX_RATE_NOT_FOUND,
            "lines.0.taxCode",
        )
        TaxRate.objects.filter(code="standard").delete()  # no default rate any more
        assert refused(stranger, [("M-001", "1", "10", "")]) == (
            ErrorCode.TAX_RATE_NOT_FOUND,
            "lines.0.material",
        )
        assert (Order.objects.count(), OrderLine.objects.count(), _sequences()) == before


def _sequences() -> list[tuple[str, int, int]]:
    return list(DocumentSequence.objects.values_list("kind", "year", "last_number"))


# -- invoices: the same rule, adding up to the order ----------------------------------------


def test_partial_invoices_add_up_to_the_order_exactly(world):
    with schema_context(DE):
        reduced("M-002")
        order = confirmed_order(
            make_account(), [("M-001", "3", "3.33", "standard"), ("M-002", "7", "1.11", "reduced")]
        )
        # 9.99 × 19 % = 1.8981 → 1.90; 7.77 × 7 % = 0.5439 → 0.54
        assert amounts(order) == ("17.76", "2.44", "20.2")
        first, second = order.lines.order_by("position")
        deliver_all(order)
        parts = invoice_parts(
            order,
            [
                {first.pk: "1", second.pk: "2"},  # 3.33 + 0.63; 2.22 + 0.16 (0.1554)
                {first.pk: "1", second.pk: "2"},
                {first.pk: "1", second.pk: "3"},  # the rest of both lines
            ],
        )
        assert [amounts(invoice) for invoice in parts] == [
            ("5.55", "0.79", "6.34"),
            ("5.55", "0.79", "6.34"),
            ("6.66", "0.86", "7.52"),  # the last parts take 0.64 and 0.22: what is left
        ]
        assert sum(invoice.net_total for invoice in parts) == order.net_total
        assert sum(invoice.tax_total for invoice in parts) == order.tax_total
        assert sum(invoice.total for invoice in parts) == order.total
        assert refreshed(order).invoiced_amount == order.total
        last = parts[-1].lines.order_by("position")
        assert [(line.tax_rate, line.tax_amount) for line in last] == [
            (D("19"), D("0.64")),
            (D("7"), D("0.22")),
        ]


def test_yen_parts_never_take_more_tax_than_the_line_has(world):
    with schema_context(JP):
        # 4 × 5 yen at 10 %: the line's tax is 2; each part alone would round 0.5 up to 1.
        order = confirmed_order(
            make_account("acme.jp"), [("M-001", "4", "5", "standard")], "acme.jp"
        )
        line = order.lines.get()
        assert (line.amount, line.tax_amount) == (D("20"), D("2"))
        deliver_all(order, "acme.jp")
        parts = [issued_invoice(order, "acme.jp", lines=[(line.pk, "1")]) for _ in range(4)]
    assert [invoice.tax_total for invoice in parts] == [D("1"), D("1"), D("0"), D("0")]
    assert sum(invoice.total for invoice in parts) == order.total == D("22")


def test_a_cancelled_invoice_gives_its_net_and_tax_back(world):
    with schema_context(DE):
        order = confirmed_order(make_account(), [("M-001", "3", "3.33", "standard")])
        line = order.lines.get()
        deliver_all(order)
        wrong = issued_invoice(order, lines=[(line.pk, "2")])
        invoices.invoice_cancel(finance(), wrong)
        again = issued_invoice(order, lines=[(line.pk, "2")])
        rest = issued_invoice(order)
    assert amounts(again) == ("6.66", "1.27", "7.93")
    assert amounts(rest) == ("3.33", "0.63", "3.96")
    assert again.total + rest.total == order.total


def test_receivables_and_payments_count_the_gross(world):
    with schema_context(DE):
        account = make_account()
        order = confirmed_order(account, [("M-001", "1", "100", "standard")])
        invoice = issued_invoice(deliver_all(order))
        assert (invoice.open_amount, invoice.status) == (D("119.00"), InvoiceStatus.ISSUED)
        pay(account, "100.00", [(invoice, "100.00")])
        assert refreshed(invoice).open_amount == D("19.00")
        with pytest.raises(CrmError) as over:
            pay(account, "20.00", [(invoice, "20.00")])
        assert over.value.code == ErrorCode.PAYMENT_OVER_ALLOCATED
        pay(account, "19.00", [(invoice, "19.00")])
        assert refreshed(invoice).status == InvoiceStatus.PAID


# -- credit notes: the tax reversed in proportion -------------------------------------------


def test_a_credit_note_reverses_the_tax_of_each_rate_in_proportion(world, graphql, eu):
    with schema_context(DE):
        reduced("M-002")
        account = make_account()
        order = confirmed_order(
            account, [("M-001", "1", "100", "standard"), ("M-002", "1", "100", "reduced")]
        )
        invoice = issued_invoice(deliver_all(order))
        assert amounts(invoice) == ("200", "26", "226")
        half = invoices.credit_note_create(finance(), invoice=invoice, amount="113.00", reason="x")
        # 113 shared by gross (119 : 107): 59.50 with 9.50 tax, 53.50 with 3.50 tax.
        assert amounts(half) == ("100", "13", "113")
        assert [
            (part.tax_rate, part.net_amount, part.tax_amount)
            for part in CreditNoteTax.objects.filter(credit_note=half)
        ] == [(D("19"), D("50.00"), D("9.50")), (D("7"), D("50.00"), D("3.50"))]
        odd = invoices.credit_note_create(finance(), invoice=invoice, amount="0.07", reason="x")
        rest = invoices.credit_note_create(finance(), invoice=invoice, amount="112.93", reason="x")
        notes = [half, odd, rest]
        # Every rate credited in full, not a cent more: the last note took what was left.
        for rate, net, tax in ((D("19"), D("100"), D("19")), (D("7"), D("100"), D("7"))):
            parts = CreditNoteTax.objects.filter(credit_note__in=notes, tax_rate=rate)
            assert sum(part.net_amount for part in parts) == net
            assert sum(part.tax_amount for part in parts) == tax
        assert sum(note.tax_amount for note in notes) == invoice.tax_total
        assert refreshed(invoice).status == InvoiceStatus.PAID
    query = """query($id: ID!) { creditNote(id: $id) { amount { amount } netAmount { amount }
      taxAmount { amount } taxes { code rate net { amount } tax { amount } gross { amount } } } }"""
    shown = graphql(query, {"id": gid("CreditNote", half)}, bu="acme.de", as_="acme.de.finance")
    assert shown.errors == []
    assert shown.data["creditNote"] == {
        "amount": {"amount": "113.00"},
        "netAmount": {"amount": "100.00"},
        "taxAmount": {"amount": "13.00"},
        "taxes": [
            {
                "code": "standard",
                "rate": "19",
                "net": {"amount": "50.00"},
                "tax": {"amount": "9.50"},
                "gross": {"amount": "59.50"},
            },
            {
                "code": "reduced",
                "rate": "7",
                "net": {"amount": "50.00"},
                "tax": {"amount": "3.50"},
                "gross": {"amount": "53.50"},
            },
        ],
    }


def test_a_credit_note_after_a_payment_and_in_yen(world):
    with schema_context(JP):
        account = make_account("acme.jp")
        order = confirmed_order(account, [("M-001", "1", "999", "standard")], "acme.jp")
        invoice = issued_invoice(deliver_all(order, "acme.jp"), "acme.jp")
        assert amounts(invoice) == ("999", "100", "1099")
        pay(account, "1000", [(invoice, "1000")], "acme.jp", currency="JPY")
        note = invoices.credit_note_create(
            finance("acme.jp"), invoice=invoice, amount="99", reason="Rabatt"
        )
        # 99 × 100 / 1099 = 9.008 → 9 yen of tax; the invoice is settled (paid and credited).
        assert amounts(note) == ("90", "9", "99")
        assert refreshed(invoice).status == InvoiceStatus.PAID
        with pytest.raises(CrmError) as beyond:
            invoices.credit_note_create(finance("acme.jp"), invoice=invoice, amount="1", reason="x")
        assert beyond.value.code == ErrorCode.CREDIT_NOTE_EXCEEDS_INVOICE


# -- through the API ------------------------------------------------------------------------


ORDER_CREATE = """mutation($account: ID!, $lines: [OrderLineInput!]!, $contract: Int) {
  orderCreate(account: $account, lines: $lines, contractId: $contract) {
    errors { field code message }
    order { netTotal { amount } taxTotal { amount } total { amount }
            lines { taxCode taxRate taxAmount { amount } grossAmount { amount } } } } }"""


def test_the_api_takes_tax_codes_and_refuses_unknown_ones(world, graphql, eu):
    with schema_context(DE):
        account = make_account()
    unsigned = make_contract(codes=["M-001"], quantities=["1"])

    def create(lines: list[dict[str, Any]], **variables: Any) -> Any:
        return graphql(
            ORDER_CREATE,
            {"account": gid("Account", account), "lines": lines, **variables},
            bu="acme.de",
            as_="acme.de.manager",
        ).data["orderCreate"]

    line = {"material": to_global_id("Material", material("M-001")), "quantity": "2"}
    made = create([{**line, "unitPrice": "10", "taxCode": "reduced"}])
    assert made["errors"] == []
    assert made["order"]["lines"] == [
        {
            "taxCode": "reduced",
            "taxRate": "7",
            "taxAmount": {"amount": "1.40"},
            "grossAmount": {"amount": "21.40"},
        }
    ]
    assert made["order"]["total"] == {"amount": "21.40"}
    with schema_context(DE):
        before = Order.objects.count()
    unknown = create([{**line, "unitPrice": "10", "taxCode": "luxury"}])
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [
        ("TAX_RATE_NOT_FOUND", "lines.0.taxCode")
    ]
    assert "luxury" in unknown["errors"][0]["message"]
    not_signed = create([{**line, "unitPrice": "10"}], contract=unsigned.pk)
    assert [(e["code"], e["field"]) for e in not_signed["errors"]] == [
        ("CONTRACT_NOT_SIGNED", "contractId")
    ]
    with schema_context(DE):
        assert Order.objects.count() == before
        assert Contract.objects.get(pk=unsigned.pk).status != "signed"


def test_an_invoice_shows_its_vat_by_rate(world, graphql, eu):
    with schema_context(DE):
        reduced("M-002")
        order = confirmed_order(
            make_account(),
            [("M-001", "2", "50", "standard"), ("M-002", "4", "12.5", "reduced")],
        )
        orders.order_deliver(
            manager(),
            order,
            deliveries=[DeliveryInput(line.pk, line.quantity) for line in order.lines.all()],
        )
        invoice = issued_invoice(order)
    query = """query($id: ID!) { invoice(id: $id) { netTotal { amount } taxTotal { amount }
      total { amount } taxes { code rate net { amount } tax { amount } } } }"""
    shown = graphql(query, {"id": gid("Invoice", invoice)}, bu="acme.de", as_="acme.de.finance")
    assert shown.errors == []
    assert shown.data["invoice"] == {
        "netTotal": {"amount": "150.00"},
        "taxTotal": {"amount": "22.50"},
        "total": {"amount": "172.50"},
        "taxes": [
            {
                "code": "standard",
                "rate": "19",
                "net": {"amount": "100.00"},
                "tax": {"amount": "19.00"},
            },
            {"code": "reduced", "rate": "7", "net": {"amount": "50.00"}, "tax": {"amount": "3.50"}},
        ],
    }
    with schema_context(DE):
        event = invoice.pk
        from crm.tenants.ledger.models import IntegrationEvent

        data = IntegrationEvent.objects.get(record_type="Invoice", record_id=event).payload["data"]
    assert (data["net_total"], data["tax_total"], data["total"]) == ("150.00", "22.50", "172.50")
    assert [(t["tax_rate"], t["tax"]) for t in data["taxes"]] == [("19", "19.00"), ("7", "3.50")]


def test_an_invoice_line_takes_the_order_lines_rate(world):
    with schema_context(DE):
        order = confirmed_order(make_account(), [("M-001", "10", "1.99", "standard")])
        line = order.lines.get()
        orders.order_deliver(manager(), order, deliveries=[DeliveryInput(line.pk, "10")])
        draft = invoices.invoice_create(
            finance(), order=order, lines=[InvoiceLineInput(line.pk, "3")]
        )
        (invoiced,) = draft.lines.all()
    assert (invoiced.tax_code, invoiced.tax_rate) == ("standard", D("19"))
    assert (invoiced.amount, invoiced.tax_amount) == (D("5.97"), D("1.13"))  # 1.1343
    assert amounts(draft) == ("5.97", "1.13", "7.1")
