"""The issue's "done when", across real cells: the demo group runs a deal from the quote to the
last payment in the German BU (EUR, cell eu) and in the Japanese BU (JPY, no minor unit, cell
ap), through the API as the people whose work each step is (crm.infra.demo_q2c, the driver
`make run` uses too). Credit control asks every cell; a German order over its customer's limit
is blocked and released by finance. HQ's group dashboard (cell cn) shows both in CNY at dated
rates. Bad input on the way is refused with its code and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from crm.infra.demo_q2c import (
    CREDIT_CUSTOMER,
    GERMANY,
    GROUP_DASHBOARD,
    JAPAN,
    QuoteToCash,
    StepRefusedError,
)
from crm.tests.fixtures.cell_directory import add_users, demo_master_data
from crm.tests.fixtures.cells import Cells, eventually

pytestmark = pytest.mark.cells

# The people of the demo the directory of the test cells does not have.
PEOPLE: dict[str, tuple[str | None, list[tuple[str, str | None]]]] = {
    "lumina.director": (None, [("hq_director", None)]),
    "lumina.de.finance": ("eu", [("finance", "de")]),
    "lumina.de.legal": ("eu", [("legal", "de")]),
    "lumina.de.delivery": ("eu", [("delivery", "de")]),
    "lumina.jp.finance": ("ap", [("finance", "jp")]),
    "lumina.jp.legal": ("ap", [("legal", "jp")]),
    "lumina.jp.delivery": ("ap", [("delivery", "jp")]),
}
REGION_OF = {"lumina.hq": "cn", "lumina.de": "eu", "lumina.jp": "ap"}


class CellsAsk:
    """The driver's way into the test cells: each BU at its own cell, with tokens."""

    def __init__(self, cells: Cells, tokens: Mapping[str, Mapping[str, str]]) -> None:
        self.cells = cells
        self.tokens = tokens

    def __call__(
        self, handle: str, username: str, query: str, variables: Mapping[str, Any]
    ) -> dict[str, Any]:
        region = REGION_OF[handle]
        reply = self.cells[region].graphql(
            query, variables, bu=handle, token=self.tokens[region][username]
        )
        assert reply.status == 200, reply.body
        assert reply.errors == [], reply.errors
        data: dict[str, Any] = reply.data
        return data


@pytest.fixture(scope="module")
def ask(cells: Cells) -> CellsAsk:
    directory = cells.seed_directory()
    tokens = {region: dict(directory.tokens[region]) for region in cells}
    for region, added in add_users(cells, PEOPLE).items():
        tokens[region].update(added)
    demo_master_data(cells)
    for region in ("eu", "ap"):
        cells["cn"].manage("replicate", "--force")
        eventually(
            lambda region=region: cells[region].sql(
                "SELECT 1 FROM customers_customer WHERE code = 'C-JP-0001'"
            ),
            timeout=60,
            message=f"the demo's master data did not reach {region}",
        )
    return CellsAsk(cells, tokens)


def refused(step: Any, *args: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(StepRefusedError) as caught:
        step(*args, **kwargs)
    return caught.value.codes


def test_a_german_deal_from_quote_to_last_payment(ask: CellsAsk) -> None:
    run = QuoteToCash(ask, GERMANY)
    run.configure()
    run.open_deal()
    quote = run.make_quote(discount=Decimal("12"))
    assert quote["currency"] == "EUR"
    # 12 % is over the salesperson's 5 %: not sent without an approval, the quote unchanged.
    assert refused(run.send_and_accept) == ["DISCOUNT_NEEDS_APPROVAL"]
    assert run.quote_state()["status"] == "DRAFT"
    run.clear_discount()
    assert Decimal(quote["grossTotal"]["amount"]) == Decimal(quote["netTotal"]["amount"]) + Decimal(
        quote["taxTotal"]["amount"]
    )
    assert {line["tax"]["code"] for line in quote["lines"]} == {"de19"}
    run.send_and_accept()
    contract = run.make_contract()
    # Signing before the approvals: refused, nothing signed.
    assert refused(run.sign) == ["CONTRACT_NOT_APPROVED"]
    run.submit()
    assert sorted(run.approve_all()) == ["finance", "manager"]
    signed = run.sign()
    assert signed["status"] == "SIGNED"
    plan = signed["paymentPlan"]
    assert sum(Decimal(i["amount"]["amount"]) for i in plan) == Decimal(contract["total"]["amount"])
    collect(run, signed)


def collect(run: QuoteToCash, contract: dict[str, Any]) -> None:
    """From the signed contract to the last payment, with the refusals on the way."""
    order = run.make_order()
    assert order["total"] == contract["total"]  # the contract's lines and taxes, exactly
    assert run.confirm()["confirmed"] is True  # within the customer's credit limit
    run.deliver_all()
    # More than was delivered: refused, no invoice made.
    first = run.deal.order["lines"][0]
    too_much = str(Decimal(first["quantity"]) + 1)
    with pytest.raises(StepRefusedError) as beyond:
        run.mutate(
            "finance",
            "invoiceCreate",
            """mutation($order: ID!, $lines: [InvoiceLineInput!]) {
              invoiceCreate(order: $order, lines: $lines) {
                invoice { id } errors { field code } } }""",
            {"order": order["id"], "lines": [{"orderLine": first["id"], "quantity": too_much}]},
        )
    assert beyond.value.codes == ["INVOICE_EXCEEDS_ORDER"]
    invoice = run.invoice_delivered()
    assert invoice["total"] == contract["total"]
    assert invoice["status"] == "ISSUED"
    # Allocating more than the invoice is open for: refused, no payment recorded.
    over = str(Decimal(invoice["openAmount"]["amount"]) + 1)
    assert refused(run.pay, over, "zu viel") == ["PAYMENT_OVER_ALLOCATED"]
    assert run.deal.payments == []
    payments = run.pay_the_plan()
    assert len(payments) == len(contract["paymentPlan"])
    settled = run.invoice_state()
    assert settled["status"] == "PAID"
    assert Decimal(settled["openAmount"]["amount"]) == 0
    assert settled["paidAmount"] == contract["total"]


def test_a_japanese_deal_from_quote_to_last_payment(ask: CellsAsk) -> None:
    run = QuoteToCash(ask, JAPAN)
    run.configure()
    run.open_deal()
    quote = run.make_quote()
    assert quote["currency"] == "JPY"
    # No minor unit: every amount whole yen, and the lines add up to the totals exactly.
    for line in quote["lines"]:
        for name in ("net", "gross"):
            assert Decimal(line[name]["amount"]) == Decimal(line[name]["amount"]).to_integral()
        assert line["tax"]["code"] == "jp10"
    assert sum(Decimal(line["gross"]["amount"]) for line in quote["lines"]) == Decimal(
        quote["grossTotal"]["amount"]
    )
    run.send_and_accept()
    contract = run.make_contract()
    run.submit()
    assert sorted(run.approve_all()) == ["finance", "manager"]
    signed = run.sign()
    plan = signed["paymentPlan"]
    assert [Decimal(i["percent"]) for i in plan] == [40, 35, 25]
    assert all(
        Decimal(i["amount"]["amount"]) == Decimal(i["amount"]["amount"]).to_integral() for i in plan
    )
    assert sum(Decimal(i["amount"]["amount"]) for i in plan) == Decimal(contract["total"]["amount"])
    collect(run, signed)


def test_an_order_over_the_customers_limit_is_blocked_and_released_by_finance(
    ask: CellsAsk,
) -> None:
    run = QuoteToCash(ask, GERMANY)
    run.configure()
    # 30 displays at 2,190.00 EUR: far over Isar Medizintechnik's 150,000 CNY.
    order = run.direct_order(CREDIT_CUSTOMER, [("MED-24-DX", Decimal("30"), Decimal("2190.00"))])
    assert refused(run.confirm) == ["CREDIT_LIMIT_EXCEEDED"]
    hold = run.credit_hold()
    assert hold["status"] == "WAITING"
    assert hold["reason"] == "LIMIT_EXCEEDED"
    assert hold["creditLimit"] == {"amount": "150000.00", "currency": "CNY"}
    assert hold["missingCells"] == []
    assert Decimal(hold["exposure"]["amount"]) + Decimal(hold["amount"]["amount"]) > 150000
    state = ask(
        GERMANY.handle,
        "lumina.de.finance",
        "query($id: ID!) { order(id: $id) { confirmed status } }",
        {"id": order["id"]},
    )
    assert state["order"]["confirmed"] is False
    # Only finance releases: delivery, who sees the order, may not.
    other = QuoteToCash(ask, GERMANY)
    with pytest.raises(StepRefusedError) as by_delivery:
        other.mutate(
            "delivery",
            "orderCreditRelease",
            """mutation($order: ID!) { orderCreditRelease(order: $order, comment: "bitte") {
              errors { field code } } }""",
            {"order": order["id"]},
        )
    assert by_delivery.value.codes == ["PERMISSION_DENIED"]
    released = run.release_credit("Bankbürgschaft liegt vor")
    assert released["hold"]["status"] == "RELEASED"
    confirmed = run.confirm()
    assert confirmed["confirmed"] is True


def test_the_group_dashboard_shows_both_deals_in_cny_at_dated_rates(ask: CellsAsk) -> None:
    board = ask("lumina.hq", "lumina.director", GROUP_DASHBOARD, {})
    rfm = board["groupRfm"]
    assert rfm["complete"] is True, rfm["missingRegions"]
    assert rfm["currency"] == "CNY"
    by_unit: dict[str, Decimal] = {}
    for row in rfm["rows"]:
        assert row["monetary"]["currency"] == "CNY"
        by_unit[row["businessUnit"]] = by_unit.get(row["businessUnit"], Decimal(0)) + Decimal(
            row["monetary"]["amount"]
        )
    # Both subsidiaries' customers, each paid in its own currency, summed in CNY.
    # (other tests' customers in the same cells may have bought without paying yet)
    assert by_unit.keys() >= {"de", "jp"}
    assert by_unit["de"] > 0
    assert by_unit["jp"] > 0
    assert board["groupReceivablesAging"]["complete"] is True
