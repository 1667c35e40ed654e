"""The ledger through GraphQL: a deal's order delivered, invoiced and paid; typed errors with
nothing changed; filters; other BUs' ids; who may do what; SQL counts per page."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.tenants.ledger import invoices
from crm.tenants.ledger.models import Allocation, Invoice, Order, Payment
from crm.tests.ledger.helpers import (
    DE,
    JP,
    confirmed_order,
    deliver_all,
    delivered_invoice,
    errors_of,
    finance,
    gid,
    issued_invoice,
    make_account,
    material,
    pay,
    reduced,
    refreshed,
    signed_contract,
    today,
)

ORDER_FIELDS = """id number status confirmed orderDate total { amount currency }
  netTotal { amount currency } taxTotal { amount currency }
  taxes { code rate net { amount } tax { amount } }
  totalGroup { amount currency } invoicedAmount { amount }
  conversion { currency groupCurrency date rate rateType rateDate }
  account { id localCode customerCode } contract { id number }
  lines { id position materialCode quantity unitPrice { amount } amount { amount }
          taxCode taxRate taxAmount { amount } grossAmount { amount }
          amountGroup { amount } deliveredQuantity invoicedQuantity
          deliveries { quantity deliveredOn reference } }
  invoices { id number status }"""
INVOICE_FIELDS = """id number status issueDate dueDate paymentTerms total { amount currency }
  netTotal { amount } taxTotal { amount } taxes { code rate net { amount } tax { amount } }
  totalGroup { amount } openAmount { amount } openAmountGroup { amount } paidAmount { amount }
  creditedAmount { amount } order { id number }
  lines { position orderLine materialCode quantity amount { amount } amountGroup { amount }
          taxRate taxAmount { amount } }
  allocations { amount { amount } payment { number } }
  creditNotes { number amount { amount } netAmount { amount } taxAmount { amount }
                taxes { rate tax { amount } } }"""
PAYMENT_FIELDS = """id number amount { amount currency } amountGroup { amount }
  allocatedAmount { amount } unallocatedAmount { amount } reference
  allocations { amount { amount } invoice { id number status } allocatedOn }"""

ORDER_CREATE = f"""mutation($account: ID!, $lines: [OrderLineInput!]!, $contract: Int,
                     $contractNumber: String, $currency: String) {{
  orderCreate(account: $account, lines: $lines, contractId: $contract,
              contractNumber: $contractNumber, currency: $currency) {{
    errors {{ field code message }} order {{ {ORDER_FIELDS} }} }} }}"""
ORDER_CONFIRM = f"""mutation($id: ID!) {{ orderConfirm(id: $id) {{
  errors {{ field code }} order {{ {ORDER_FIELDS} }} }} }}"""
ORDER_DELIVER = f"""mutation($id: ID!, $lines: [DeliveryLineInput!]!) {{
  orderDeliver(id: $id, lines: $lines, deliveryReference: "LS-1") {{
    errors {{ field code }} order {{ {ORDER_FIELDS} }} }} }}"""
INVOICE_CREATE = f"""mutation($order: ID!, $lines: [InvoiceLineInput!]) {{
  invoiceCreate(order: $order, lines: $lines) {{
    errors {{ field code message }} invoice {{ {INVOICE_FIELDS} }} }} }}"""
INVOICE_ISSUE = f"""mutation($id: ID!) {{ invoiceIssue(id: $id) {{
  errors {{ field code }} invoice {{ {INVOICE_FIELDS} }} }} }}"""
PAYMENT_RECORD = f"""mutation($payer: ID!, $amount: Decimal!, $allocations: [AllocationInput!],
                      $currency: String) {{
  paymentRecord(payer: $payer, amount: $amount, allocations: $allocations, currency: $currency,
                paymentReference: "RE 4711") {{
    errors {{ field code message }} payment {{ {PAYMENT_FIELDS} }} }} }}"""
PAYMENT_ALLOCATE = """mutation($id: ID!, $allocations: [AllocationInput!]!) {
  paymentAllocate(id: $id, allocations: $allocations) {
    errors { field code message } payment { id } } }"""
CREDIT = """mutation($invoice: ID!, $amount: Decimal!) {
  creditNoteCreate(invoice: $invoice, amount: $amount, creditReason: "Skonto") {
    errors { field code } creditNote { number amount { amount } amountGroup { amount } }
    invoice { openAmount { amount } status } } }"""
ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
INVOICE = f"query($id: ID!) {{ invoice(id: $id) {{ {INVOICE_FIELDS} }} }}"
ORDERS = """query($filter: OrderFilter) { orders(first: 20, filter: $filter) {
  totalCount edges { node { number status account { localCode } } } } }"""
INVOICES = """query($filter: InvoiceFilter) { invoices(first: 20, filter: $filter) {
  totalCount edges { node { number status dueDate openAmount { amount } } } } }"""
PAYMENTS = """query($filter: PaymentFilter) { payments(first: 20, filter: $filter) {
  totalCount edges { node { number unallocatedAmount { amount } } } } }"""
AGING = """query($asOf: Date, $account: ID) { receivablesAging(asOf: $asOf, account: $account) {
  asOf groupCurrency rowCount
  page(first: 50) { hasNextPage rows { account { localCode } currency invoices
         amounts { current { amount currency } days1To30 { amount } days31To60 { amount }
                   days61To90 { amount } daysOver90 { amount } total { amount } }
         amountsGroup { total { amount currency } } unapplied { amount } } }
  totalGroup { total { amount currency } } } }"""


def ask(graphql: Any, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
    kw.setdefault("bu", "acme.de")
    kw.setdefault("as_", "acme.de.manager")
    return graphql(query, variables, **kw)


@pytest.fixture
def eu(settings):
    settings.REGION = "eu"


def test_an_order_delivered_in_parts_invoiced_and_paid(world, graphql, eu):
    reduced("M-002")  # 7 % VAT in acme.de, M-001 19 %
    contract = signed_contract(["M-001", "M-002"], ["10", "2"])
    with schema_context(DE):
        account = contract.account
        account.payment_terms = "14 Tage netto"
        account.save(update_fields=["payment_terms"])
    lines = [
        {
            "material": to_global_id("Material", material("M-001")),
            "quantity": "10",
            "unitPrice": "12.50",
        },
        {
            "material": to_global_id("Material", material("M-002")),
            "quantity": "2",
            "unitPrice": "99.99",
        },
    ]
    created = ask(
        graphql,
        ORDER_CREATE,
        {"account": gid("Account", account), "lines": lines, "contract": contract.pk},
    ).data["orderCreate"]
    assert created["errors"] == []
    order = created["order"]
    assert order["status"] == "OPEN"
    # 125.00 at 19 % (23.75) and 199.98 at 7 % (13.9986: 14.00), the rates the contract has.
    assert order["netTotal"] == {"amount": "324.98", "currency": "EUR"}
    assert order["taxTotal"] == {"amount": "37.75", "currency": "EUR"}
    assert order["total"] == {"amount": "362.73", "currency": "EUR"}
    assert order["totalGroup"] == {"amount": "2833.83", "currency": "CNY"}  # × 7.8125
    assert [
        (t["code"], t["rate"], t["net"]["amount"], t["tax"]["amount"]) for t in order["taxes"]
    ] == [
        ("standard", "19", "125.00", "23.75"),
        ("reduced", "7", "199.98", "14.00"),
    ]
    assert [
        (
            line["taxCode"],
            line["taxRate"],
            line["taxAmount"]["amount"],
            line["grossAmount"]["amount"],
        )
        for line in order["lines"]
    ] == [("standard", "19", "23.75", "148.75"), ("reduced", "7", "14.00", "213.98")]
    assert order["conversion"]["rate"] == "7.8125"
    assert order["conversion"]["rateType"] == "SPOT"
    assert order["contract"] == {"id": contract.pk, "number": contract.number}
    assert order["lines"][1]["unitPrice"] == {"amount": "99.99"}

    confirmed = ask(graphql, ORDER_CONFIRM, {"id": order["id"]}).data["orderConfirm"]
    assert confirmed["errors"] == []
    assert confirmed["order"]["confirmed"] is True
    first_line = order["lines"][0]["id"]
    delivered = ask(
        graphql,
        ORDER_DELIVER,
        {"id": order["id"], "lines": [{"line": first_line, "quantity": "4"}]},
    ).data["orderDeliver"]
    assert delivered["errors"] == []
    assert delivered["order"]["status"] == "PARTIALLY_DELIVERED"
    assert delivered["order"]["lines"][0]["deliveries"][0]["reference"] == "LS-1"

    beyond = ask(
        graphql,
        INVOICE_CREATE,
        {"order": order["id"], "lines": [{"orderLine": first_line, "quantity": "5"}]},
        as_="acme.de.finance",
    )
    assert errors_of(beyond) == [("INVOICE_EXCEEDS_ORDER", "lines.0.quantity")]
    assert beyond.data["invoiceCreate"]["invoice"] is None
    draft = ask(graphql, INVOICE_CREATE, {"order": order["id"]}, as_="acme.de.finance")
    draft = draft.data["invoiceCreate"]["invoice"]
    assert (draft["status"], draft["number"], draft["total"]["amount"]) == ("DRAFT", None, "59.50")
    assert (draft["netTotal"]["amount"], draft["taxTotal"]["amount"]) == ("50.00", "9.50")
    issued = ask(graphql, INVOICE_ISSUE, {"id": draft["id"]}, as_="acme.de.finance")
    invoice = issued.data["invoiceIssue"]["invoice"]
    assert invoice["status"] == "ISSUED"
    assert invoice["number"] == f"INV-{today().year}-000001"
    assert invoice["paymentTerms"] == "14 Tage netto"
    assert invoice["totalGroup"]["amount"] == "464.84"  # 59.50 × 7.8125 = 464.84375
    assert invoice["lines"][0]["amountGroup"]["amount"] == "390.63"  # the net: 50 × 7.8125
    assert invoice["openAmount"]["amount"] == "59.50"  # receivables are gross

    paid = ask(
        graphql,
        PAYMENT_RECORD,
        {
            "payer": gid("Account", account),
            "amount": "70.00",
            "allocations": [{"invoice": invoice["id"], "amount": "59.50"}],
        },
        as_="acme.de.finance",
    ).data["paymentRecord"]
    assert paid["errors"] == []
    payment = paid["payment"]
    assert payment["unallocatedAmount"]["amount"] == "10.50"
    assert payment["allocations"][0]["invoice"]["status"] == "PAID"
    again = ask(graphql, INVOICE, {"id": invoice["id"]}, as_="acme.de.finance").data["invoice"]
    assert again["openAmount"]["amount"] == "0.00"
    assert again["allocations"] == [
        {"amount": {"amount": "59.50"}, "payment": {"number": payment["number"]}}
    ]
    seen = ask(graphql, ORDER, {"id": order["id"]}).data["order"]
    assert seen["invoicedAmount"]["amount"] == "59.50"
    assert seen["invoices"] == [
        {"id": invoice["id"], "number": invoice["number"], "status": "PAID"}
    ]


def test_typed_errors_change_nothing(world, graphql, eu):
    with schema_context(DE):
        account = make_account()
        first = delivered_invoice(account, "100.00")
        second = delivered_invoice(account, "50.00")
        payment = pay(account, "120.00")
        yen = pay(account, "1000", currency="JPY")
    over = ask(
        graphql,
        PAYMENT_ALLOCATE,
        {
            "id": gid("Payment", payment),
            "allocations": [
                {"invoice": gid("Invoice", first), "amount": "100"},
                {"invoice": gid("Invoice", second), "amount": "30"},
            ],
        },
        as_="acme.de.finance",
    )
    assert errors_of(over) == [("PAYMENT_OVER_ALLOCATED", "allocations.1.amount")]
    mismatch = ask(
        graphql,
        PAYMENT_ALLOCATE,
        {
            "id": gid("Payment", yen),
            "allocations": [{"invoice": gid("Invoice", first), "amount": "1"}],
        },
        as_="acme.de.finance",
    )
    assert errors_of(mismatch) == [("CURRENCY_MISMATCH", "allocations.0.invoice")]
    credit = ask(
        graphql,
        CREDIT,
        {"invoice": gid("Invoice", second), "amount": "50.01"},
        as_="acme.de.finance",
    )
    assert errors_of(credit) == [("CREDIT_NOTE_EXCEEDS_INVOICE", "amount")]
    bad_id = ask(
        graphql, PAYMENT_ALLOCATE, {"id": "nonsense", "allocations": []}, as_="acme.de.finance"
    )
    assert errors_of(bad_id) == [("MALFORMED_ID", "id")]
    with schema_context(DE):
        assert not Allocation.objects.exists()
        assert refreshed(payment).unallocated_amount == Decimal("120.00")
        assert refreshed(first).open_amount == Decimal("100.00")
        assert refreshed(second).credited_amount == 0
    ok = ask(
        graphql, CREDIT, {"invoice": gid("Invoice", second), "amount": "5"}, as_="acme.de.finance"
    )
    result = ok.data["creditNoteCreate"]
    assert result["errors"] == []
    assert result["creditNote"]["amountGroup"]["amount"] == "39.06"  # 5 × 7.8125 = 39.0625
    assert result["invoice"] == {"openAmount": {"amount": "45.00"}, "status": "PARTIALLY_PAID"}


def test_lists_filter_by_customer_status_and_due_dates(world, graphql, eu):
    with schema_context(DE):
        mine, other = make_account(), make_account()
        early = delivered_invoice(mine, "10.00", due_date=today())
        late = delivered_invoice(mine, "20.00", due_date=today() + datetime.timedelta(days=40))
        delivered_invoice(other, "30.00")
        pay(mine, "10.00", [(early, "10.00")])
        pay(other, "5.00")
        golden = to_global_id("Customer", mine.customer_id)
    by_customer = ask(graphql, INVOICES, {"filter": {"customer": golden}}, as_="acme.de.finance")
    assert by_customer.data["invoices"]["totalCount"] == 2
    open_only = ask(
        graphql,
        INVOICES,
        {"filter": {"customer": golden, "status": ["ISSUED"]}},
        as_="acme.de.finance",
    ).data["invoices"]
    assert [edge["node"]["number"] for edge in open_only["edges"]] == [late.number]
    due_soon = ask(
        graphql, INVOICES, {"filter": {"dueTo": today().isoformat()}}, as_="acme.de.finance"
    ).data["invoices"]
    assert {edge["node"]["number"] for edge in due_soon["edges"]} >= {early.number}
    assert late.number not in {edge["node"]["number"] for edge in due_soon["edges"]}
    orders = ask(graphql, ORDERS, {"filter": {"account": gid("Account", other)}}).data["orders"]
    assert orders["totalCount"] == 1
    credit = ask(graphql, PAYMENTS, {"filter": {"withUnallocated": True}}, as_="acme.de.finance")
    assert [
        edge["node"]["unallocatedAmount"]["amount"] for edge in credit.data["payments"]["edges"]
    ] == ["5.00"]


def test_ids_of_another_business_unit_are_not_found(world, graphql, eu, settings):
    with schema_context(JP):
        jp_order = confirmed_order(make_account("acme.jp"), [("M-001", "1", "100")], "acme.jp")
        jp_invoice = issued_invoice(deliver_all(jp_order, "acme.jp"), "acme.jp")
    with schema_context(DE):
        de_order = confirmed_order(make_account(), [("M-001", "1", "100")])
    foreign = gid("Order", jp_order, "acme.jp")
    reply = ask(graphql, ORDER, {"id": foreign})
    assert reply.codes == ["NOT_FOUND"]
    assert reply.data["order"] is None
    assert errors_of(ask(graphql, ORDER_CONFIRM, {"id": foreign})) == [("NOT_FOUND", "id")]
    invoice = ask(
        graphql, INVOICE, {"id": gid("Invoice", jp_invoice, "acme.jp")}, as_="acme.de.finance"
    )
    assert invoice.codes == ["NOT_FOUND"]
    create = ask(graphql, INVOICE_CREATE, {"order": foreign}, as_="acme.de.finance")
    assert errors_of(create) == [("NOT_FOUND", "order")]
    # And the other way round, in the Japanese BU's cell.
    settings.REGION = "ap"
    mine_there = ask(graphql, ORDER, {"id": gid("Order", de_order)}, bu="acme.jp", as_="acme.admin")
    assert mine_there.codes == ["NOT_FOUND"]
    with schema_context(DE):
        assert refreshed(de_order).confirmed is True
        assert not Invoice.objects.filter(order=de_order).exists()


def test_who_may_do_what(world, graphql, eu):
    with schema_context(DE):
        own = make_account(owner="acme.de.sales")
        others = make_account(owner="acme.de.manager")
        own_order = confirmed_order(own, [("M-001", "1", "10")])
        other_order = confirmed_order(others, [("M-001", "1", "10")])
        invoice = issued_invoice(deliver_all(own_order))
    # Salespeople read the orders and invoices of the customers they look after, only.
    listed = ask(graphql, ORDERS, as_="acme.de.sales").data["orders"]
    assert [edge["node"]["number"] for edge in listed["edges"]] == [own_order.number]
    assert ask(graphql, ORDER, {"id": gid("Order", other_order)}, as_="acme.de.sales").codes == [
        "NOT_FOUND"
    ]
    assert ask(graphql, INVOICE, {"id": gid("Invoice", invoice)}, as_="acme.de.sales").errors == []
    # ... and write none of them.
    refused = ask(graphql, INVOICE_CREATE, {"order": gid("Order", own_order)}, as_="acme.de.sales")
    assert errors_of(refused) == [("PERMISSION_DENIED", None)]
    confirm = ask(graphql, ORDER_CONFIRM, {"id": gid("Order", own_order)}, as_="acme.de.sales")
    assert errors_of(confirm) == [("PERMISSION_DENIED", None)]
    # Finance writes invoices and payments, not orders; legal sees none of it.
    lines = [
        {"material": to_global_id("Material", material("M-001")), "quantity": "1", "unitPrice": "1"}
    ]
    by_finance = ask(
        graphql,
        ORDER_CREATE,
        {"account": gid("Account", own), "lines": lines},
        as_="acme.de.finance",
    )
    assert errors_of(by_finance) == [("PERMISSION_DENIED", None)]
    paid = ask(
        graphql,
        PAYMENT_RECORD,
        {"payer": gid("Account", own), "amount": "1"},
        as_="acme.de.finance",
    )
    assert errors_of(paid) == []
    by_manager = ask(graphql, PAYMENT_RECORD, {"payer": gid("Account", own), "amount": "1"})
    assert errors_of(by_manager) == [("PERMISSION_DENIED", None)]
    assert ask(graphql, ORDERS, as_="acme.de.legal").data["orders"]["totalCount"] == 0
    with schema_context(DE):
        assert Payment.objects.filter(payer=own).count() == 1
        assert Order.objects.filter(account=own).count() == 1


def test_the_aging_through_the_api_covers_what_the_caller_may_view(world, graphql, eu):
    with schema_context(DE):
        own = make_account(owner="acme.de.sales")
        others = make_account()
        delivered_invoice(own, "10.00")
        delivered_invoice(others, "20.00", due_date=today())
        pay(own, "3.00")
    finance = ask(graphql, AGING, as_="acme.de.finance").data["receivablesAging"]
    rows = {row["account"]["localCode"]: row for row in finance["page"]["rows"]}
    assert rows[others.local_code]["amounts"]["current"] == {"amount": "20.00", "currency": "EUR"}
    assert rows[own.local_code]["unapplied"] == {"amount": "3.00"}
    assert rows[own.local_code]["amountsGroup"]["total"] == {"amount": "78.13", "currency": "CNY"}
    total = finance["totalGroup"]["total"]
    assert total == {
        "amount": str(
            sum(Decimal(r["amountsGroup"]["total"]["amount"]) for r in finance["page"]["rows"])
        ),
        "currency": "CNY",
    }
    sales = ask(graphql, AGING, as_="acme.de.sales").data["receivablesAging"]
    assert [row["account"]["localCode"] for row in sales["page"]["rows"]] == [own.local_code]
    one = ask(graphql, AGING, {"account": gid("Account", others)}, as_="acme.de.finance")
    assert [
        row["account"]["localCode"] for row in one.data["receivablesAging"]["page"]["rows"]
    ] == [others.local_code]
    assert ask(graphql, AGING, as_="acme.de.legal").codes == ["PERMISSION_DENIED"]
    # Pages of rows, largest balance first.
    paged = """query($after: String) { receivablesAging { rowCount
      page(first: 1, after: $after) { endCursor hasNextPage rows { account { localCode } } } } }"""
    first = ask(graphql, paged, as_="acme.de.finance").data["receivablesAging"]
    assert first["rowCount"] == 2
    assert first["page"]["hasNextPage"] is True
    assert first["page"]["rows"][0]["account"]["localCode"] == others.local_code  # 20 > 10
    after = first["page"]["endCursor"]
    second = ask(graphql, paged, {"after": after}, as_="acme.de.finance").data["receivablesAging"]
    assert second["page"]["hasNextPage"] is False
    assert second["page"]["rows"][0]["account"]["localCode"] == own.local_code
    too_many = ask(graphql, paged.replace("first: 1", "first: 1000"), as_="acme.de.finance")
    assert too_many.codes == ["PAGE_SIZE_TOO_LARGE"]


def test_a_page_costs_the_same_statements_whatever_its_size(world, graphql, eu):
    query = f"""{{ invoices(first: 20) {{ edges {{ node {{ {INVOICE_FIELDS} }} }} }}
                 orders(first: 20) {{ edges {{ node {{ {ORDER_FIELDS} }} }} }}
                 payments(first: 20) {{ edges {{ node {{ {PAYMENT_FIELDS} }} }} }} }}"""

    def statements(count: int) -> int:
        with schema_context(DE):
            account = make_account()
            for _ in range(count):
                invoice = delivered_invoice(account, "10.00")
                pay(account, "4.00", [(invoice, "4.00")])
                invoices.credit_note_create(finance(), invoice=invoice, amount="1", reason="x")
        with CaptureQueriesContext(connection) as queries:
            reply = ask(graphql, query, as_="acme.de.finance")
        assert reply.errors == []
        return len(queries.captured_queries)

    statements(1)  # the first request of a user reads their grants and the policy once
    two = statements(2)
    assert statements(6) == two
