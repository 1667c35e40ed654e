"""The quote-to-cash demo: one deal in the German BU (EUR) and one in the Japanese BU (JPY),
from the quote to the last payment, through the GraphQL API as the people whose work each step
is; a second German order runs into credit control and is released by finance.

The same steps serve twice: `make run` drives the demo cells over HTTP once they answer
(`run_demo`, called by crm.infra.run), and the scenario test drives the test cell in-process,
with bad input between the steps (tests/scenarios/test_quote_to_cash.py). A step that is
refused raises `StepRefusedError` with the error codes: nothing is taken as done that was not.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# (business unit handle, username, query, variables) -> the response's `data`; raises on errors.
Ask = Callable[[str, str, str, Mapping[str, Any]], dict[str, Any]]


class StepRefusedError(Exception):
    """A mutation answered with typed errors: `codes` lists them."""

    def __init__(self, name: str, errors: Sequence[Mapping[str, Any]]) -> None:
        self.name = name
        self.errors = list(errors)
        self.codes = [str(error.get("code")) for error in errors]
        super().__init__(f"{name} refused: {json.dumps(self.errors, ensure_ascii=False)}")


@dataclass(frozen=True)
class Market:
    """One BU's side of the demo: who works there, whom it sells to, what and on which terms."""

    handle: str  # "lumina.de"
    people: str  # username prefix: "lumina.de." + role
    customer: str  # golden customer code
    currency: str
    taxes: Sequence[tuple[str, str, Decimal, bool]]  # code, name, rate %, default
    lines: Sequence[tuple[str, Decimal, str | None]]  # material code, quantity, tax code
    discount: Decimal  # header discount %, within the front-end sales policy
    shares: Sequence[tuple[Decimal, int]]  # payment terms: percent, days after signing
    deal_name: str
    local_code: str
    flows: Sequence[tuple[str, str, Sequence[str], Decimal | None]] = (
        # code, mode, approver roles, from amount in the group currency
        ("large", "SEQUENTIAL", ("bu_manager", "hq_director"), Decimal("500000")),
        ("standard", "PARALLEL", ("bu_manager", "finance"), None),
    )


GERMANY = Market(
    handle="lumina.de",
    people="lumina.de.",
    customer="C-DE-0001",
    currency="EUR",
    taxes=(
        ("de19", "Umsatzsteuer 19 %", Decimal("19"), True),
        ("de7", "ermäßigt 7 %", Decimal("7"), False),
    ),
    lines=(
        ("LCD-27-4K", Decimal("120"), None),
        ("MED-24-DX", Decimal("4"), None),
        ("SVC-INSTALL", Decimal("16"), None),
    ),
    discount=Decimal("3"),
    shares=((Decimal("30"), 0), (Decimal("70"), 30)),
    deal_name="Bedienterminals Linie 4",
    local_code="RW-100",
)
JAPAN = Market(
    handle="lumina.jp",
    people="lumina.jp.",
    customer="C-JP-0001",
    currency="JPY",
    taxes=(("jp10", "消費税 10%", Decimal("10"), True),),
    lines=(
        ("LCD-32-4K", Decimal("75"), None),
        ("TOUCH-15-IND", Decimal("40"), None),
        ("DRV-BOARD-V2", Decimal("115"), None),
    ),
    discount=Decimal("2"),
    shares=((Decimal("40"), 0), (Decimal("35"), 30), (Decimal("25"), 60)),
    deal_name="関西精密 検査ライン表示装置",
    local_code="KS-001",
)
# The German order that runs into credit control: Isar Medizintechnik's limit is small.
CREDIT_CUSTOMER = "C-DE-0002"
CREDIT_LINES = (("MED-24-DX", Decimal("30"), None),)

ERRORS = "errors { field code message }"
MONEY = "{ amount currency }"


def _plain(value: Decimal) -> str:
    return format(value, "f")


@dataclass
class Deal:
    """What one run has made so far (global ids and the figures the API answered)."""

    account: str = ""
    opportunity: str = ""
    quote: dict[str, Any] = field(default_factory=dict)
    contract: dict[str, Any] = field(default_factory=dict)
    order: dict[str, Any] = field(default_factory=dict)
    invoice: dict[str, Any] = field(default_factory=dict)
    payments: list[dict[str, Any]] = field(default_factory=list)


class QuoteToCash:
    """The steps of one market's deal, each as the role whose work it is."""

    def __init__(self, ask: Ask, market: Market) -> None:
        self.ask = ask
        self.market = market
        self.deal = Deal()

    # -- calling the API ------------------------------------------------------------------------

    def user(self, role: str) -> str:
        if role == "hq_director":
            return self.market.people.split(".")[0] + ".director"
        return self.market.people + role

    def query(self, role: str, text: str, variables: Mapping[str, Any] | None = None) -> Any:
        return self.ask(self.market.handle, self.user(role), text, variables or {})

    def mutate(
        self, role: str, name: str, text: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run mutation `name`; its payload, or StepRefusedError with its typed errors."""
        payload: dict[str, Any] = self.query(role, text, variables)[name]
        if payload["errors"]:
            raise StepRefusedError(name, payload["errors"])
        return payload

    # -- the BU's configuration -------------------------------------------------------------------

    def configure(self) -> None:
        """Tax rates and approval flows, as the BU manager (saving again changes nothing)."""
        for code, name, rate, default in self.market.taxes:
            self.mutate(
                "manager",
                "taxRateSave",
                f"""mutation($code: String!, $name: String, $rate: Decimal!, $default: Boolean) {{
                  taxRateSave(code: $code, name: $name, rate: $rate, isDefault: $default,
                              validFrom: "2026-01-01") {{ {ERRORS} }} }}""",
                {"code": code, "name": name, "rate": _plain(rate), "default": default},
            )
        for position, (code, mode, roles, minimum) in enumerate(self.market.flows):
            self.mutate(
                "manager",
                "approvalFlowSave",
                f"""mutation($code: String!, $mode: ApprovalFlowMode!,
                            $steps: [ApprovalStepInput!]!, $min: Decimal, $position: Int) {{
                  approvalFlowSave(code: $code, mode: $mode, steps: $steps, minAmountGroup: $min,
                                   position: $position) {{ {ERRORS} }} }}""",
                {
                    "code": code,
                    "mode": mode,
                    "steps": [{"role": role} for role in roles],
                    "min": None if minimum is None else _plain(minimum),
                    "position": position * 10,
                },
            )

    # -- the deal ---------------------------------------------------------------------------------

    def open_deal(self, customer: str | None = None, name: str | None = None) -> str:
        """The customer's account in the BU (made by the manager if missing) and a new deal of the
        salesperson's."""
        code = customer or self.market.customer
        found = self.query(
            "manager", "query($code: String) { customer(code: $code) { id } }", {"code": code}
        )
        customer_id = found["customer"]["id"]
        accounts = self.query(
            "manager",
            "query($search: String) { accounts(first: 5, filter: {search: $search}) "
            "{ edges { node { id customer { code } } } } }",
            {"search": code},
        )["accounts"]["edges"]
        matching = [
            edge["node"]["id"] for edge in accounts if edge["node"]["customer"]["code"] == code
        ]
        if matching:
            account = matching[0]
        else:
            account = self.mutate(
                "manager",
                "accountCreate",
                f"""mutation($customer: ID!, $code: String) {{
                  accountCreate(customer: $customer, localCode: $code) {{
                    account {{ id }} {ERRORS} }} }}""",
                {
                    "customer": customer_id,
                    "code": self.market.local_code if customer is None else None,
                },
            )["account"]["id"]
        deal = self.mutate(
            "sales",
            "opportunityCreate",
            f"""mutation($account: ID!, $name: String!, $currency: String) {{
              opportunityCreate(account: $account, name: $name, currency: $currency,
                                dealClass: NEW_BUSINESS, grade: A) {{
                opportunity {{ id }} {ERRORS} }} }}""",
            {
                "account": account,
                "name": name or self.market.deal_name,
                "currency": self.market.currency,
            },
        )
        self.deal.account = account
        self.deal.opportunity = deal["opportunity"]["id"]
        return self.deal.opportunity

    def material(self, code: str) -> str:
        found = self.query(
            "sales", "query($code: String) { material(code: $code) { id } }", {"code": code}
        )
        return str(found["material"]["id"])

    def quote_lines(
        self, lines: Sequence[tuple[str, Decimal, str | None]] | None = None
    ) -> list[dict[str, Any]]:
        return [
            {"material": self.material(code), "quantity": _plain(quantity), "taxCode": tax}
            for code, quantity, tax in (lines or self.market.lines)
        ]

    QUOTE = f"""id number status currency netTotal {MONEY} taxTotal {MONEY} grossTotal {MONEY}
      lines {{ materialCode quantity unitPrice {MONEY} net {MONEY}
              tax {{ code rate amount {MONEY} }} gross {MONEY}
              priceSource {{ priceList conversion {{ rate rateDate }} }} }}"""

    def make_quote(self, discount: Decimal | None = None, lines: Any = None) -> dict[str, Any]:
        """The quote of the deal, priced by the price lists at today's date, as the salesperson."""
        self.deal.quote = self.mutate(
            "sales",
            "quoteCreate",
            f"""mutation($deal: ID!, $lines: [QuoteLineItemInput!], $discount: Decimal) {{
              quoteCreate(opportunity: $deal, lines: $lines, headerDiscount: $discount) {{
                quote {{ {self.QUOTE} }} {ERRORS} }} }}""",
            {
                "deal": self.deal.opportunity,
                "lines": self.quote_lines(lines),
                "discount": _plain(self.market.discount if discount is None else discount),
            },
        )["quote"]
        return self.deal.quote

    def quote_state(self) -> dict[str, Any]:
        found: dict[str, Any] = self.query(
            "sales",
            f"query($id: ID!) {{ quote(id: $id) {{ {self.QUOTE} }} }}",
            {"id": self.deal.quote["id"]},
        )["quote"]
        self.deal.quote = found
        return found

    def clear_discount(self) -> None:
        """A discount over the salesperson's limit: asked for, then approved by the manager."""
        self.mutate(
            "sales",
            "quoteRequestApproval",
            f"""mutation($id: ID!) {{ quoteRequestApproval(id: $id, comment: "Rahmenvertrag") {{
              quote {{ status }} {ERRORS} }} }}""",
            {"id": self.deal.quote["id"]},
        )
        self.mutate(
            "manager",
            "quoteDecideDiscount",
            f"""mutation($id: ID!) {{ quoteDecideDiscount(id: $id, approve: true, comment: "ok") {{
              quote {{ status }} {ERRORS} }} }}""",
            {"id": self.deal.quote["id"]},
        )

    def send_and_accept(self) -> None:
        for name in ("quoteSend", "quoteAccept"):
            self.mutate(
                "sales",
                name,
                f"mutation($id: ID!) {{ {name}(id: $id) {{ quote {{ status }} {ERRORS} }} }}",
                {"id": self.deal.quote["id"]},
            )

    CONTRACT = f"""id number status currency total {MONEY} amountGroup {MONEY}
      paymentPlan {{ position percent dueDate amount {MONEY} }}
      approvals {{ id status step {{ name }} approver {{ role }} decidedBy {{ username }} }}"""

    def make_contract(self) -> dict[str, Any]:
        self.deal.contract = self.mutate(
            "sales",
            "contractCreate",
            f"""mutation($quote: ID!, $terms: [PaymentShareInput!]) {{
              contractCreate(quote: $quote, paymentTerms: $terms) {{
                contract {{ {self.CONTRACT} }} {ERRORS} }} }}""",
            {
                "quote": self.deal.quote["id"],
                "terms": [{"percent": _plain(p), "days": d} for p, d in self.market.shares],
            },
        )["contract"]
        return self.deal.contract

    def submit(self) -> dict[str, Any]:
        self.deal.contract = self.mutate(
            "sales",
            "contractSubmit",
            f"""mutation($id: ID!) {{ contractSubmit(id: $id, comment: "Bitte freigeben") {{
              contract {{ {self.CONTRACT} }} {ERRORS} }} }}""",
            {"id": self.deal.contract["id"]},
        )["contract"]
        return self.deal.contract

    def approve_all(self) -> list[str]:
        """Every pending approval of the contract decided by a holder of its role, in order."""
        decided: list[str] = []
        for _round in range(10):
            pending = [a for a in self.contract_state()["approvals"] if a["status"] == "PENDING"]
            if not pending:
                return decided
            for approval in pending:
                role = {"bu_manager": "manager"}.get(
                    approval["approver"]["role"], approval["approver"]["role"]
                )
                try:
                    self.mutate(
                        role,
                        "approvalDecide",
                        f"""mutation($id: ID!) {{
                          approvalDecide(id: $id, approve: true, comment: "OK") {{
                            approval {{ status }} {ERRORS} }} }}""",
                        {"id": approval["id"]},
                    )
                except StepRefusedError as refused:
                    if "NOT_AN_APPROVER" not in refused.codes:  # a later sequential step
                        raise
                    continue
                decided.append(role)
        raise RuntimeError("approvals did not finish")

    def contract_state(self) -> dict[str, Any]:
        found: dict[str, Any] = self.query(
            "manager",
            f"query($id: ID!) {{ contract(id: $id) {{ {self.CONTRACT} }} }}",
            {"id": self.deal.contract["id"]},
        )["contract"]
        self.deal.contract = found
        return found

    def sign(self) -> dict[str, Any]:
        self.deal.contract = self.mutate(
            "manager",
            "contractSign",
            f"""mutation($id: ID!) {{ contractSign(id: $id) {{
              contract {{ {self.CONTRACT} }} {ERRORS} }} }}""",
            {"id": self.deal.contract["id"]},
        )["contract"]
        return self.deal.contract

    # -- the order, its delivery, invoice and payments --------------------------------------------

    ORDER = f"""id number status confirmed total {MONEY} totalGroup {MONEY}
      lines {{ id materialCode quantity deliveredQuantity invoicedQuantity }}"""

    def make_order(self) -> dict[str, Any]:
        """The order of the signed contract (its lines and prices), as back-end support."""
        self.deal.order = self.mutate(
            "manager",
            "orderCreate",
            f"""mutation($contract: ID!) {{ orderCreate(contract: $contract) {{
              order {{ {self.ORDER} }} {ERRORS} }} }}""",
            {"contract": self.deal.contract["id"]},
        )["order"]
        return self.deal.order

    def confirm(self) -> dict[str, Any]:
        """Confirmation (credit control runs here), as finance."""
        self.deal.order = self.mutate(
            "finance",
            "orderConfirm",
            f"""mutation($id: ID!) {{ orderConfirm(id: $id) {{
              order {{ {self.ORDER} }} {ERRORS} }} }}""",
            {"id": self.deal.order["id"]},
        )["order"]
        return self.deal.order

    def deliver_all(self) -> dict[str, Any]:
        """Everything ordered leaves, as delivery."""
        lines = [
            {"line": line["id"], "quantity": line["quantity"]} for line in self.deal.order["lines"]
        ]
        self.deal.order = self.mutate(
            "delivery",
            "orderDeliver",
            f"""mutation($id: ID!, $lines: [DeliveryLineInput!]!) {{
              orderDeliver(id: $id, lines: $lines, deliveryReference: "LS-DEMO-1") {{
                order {{ {self.ORDER} }} {ERRORS} }} }}""",
            {"id": self.deal.order["id"], "lines": lines},
        )["order"]
        return self.deal.order

    INVOICE = f"""id number status total {MONEY} totalGroup {MONEY} openAmount {MONEY}
      paidAmount {MONEY} dueDate"""

    def invoice_delivered(self) -> dict[str, Any]:
        """The invoice of what was delivered, made and issued by finance."""
        made = self.mutate(
            "finance",
            "invoiceCreate",
            f"""mutation($order: ID!) {{ invoiceCreate(order: $order) {{
              invoice {{ {self.INVOICE} }} {ERRORS} }} }}""",
            {"order": self.deal.order["id"]},
        )["invoice"]
        self.deal.invoice = self.mutate(
            "finance",
            "invoiceIssue",
            f"""mutation($id: ID!) {{ invoiceIssue(id: $id) {{
              invoice {{ {self.INVOICE} }} {ERRORS} }} }}""",
            {"id": made["id"]},
        )["invoice"]
        return self.deal.invoice

    PAYMENT = f"""id number amount {MONEY} amountGroup {MONEY} unallocatedAmount {MONEY}
      allocations {{ amount {MONEY} invoice {{ id status }} }}"""

    def pay(self, amount: str, reference: str) -> dict[str, Any]:
        """A payment of the customer, recorded and allocated to the invoice by finance."""
        payment: dict[str, Any] = self.mutate(
            "finance",
            "paymentRecord",
            f"""mutation($payer: ID!, $amount: Decimal!, $allocations: [AllocationInput!],
                        $reference: String) {{
              paymentRecord(payer: $payer, amount: $amount, allocations: $allocations,
                            paymentReference: $reference) {{
                payment {{ {self.PAYMENT} }} {ERRORS} }} }}""",
            {
                "payer": self.deal.account,
                "amount": amount,
                "allocations": [{"invoice": self.deal.invoice["id"], "amount": amount}],
                "reference": reference,
            },
        )["payment"]
        self.deal.payments.append(payment)
        return payment

    def pay_the_plan(self) -> list[dict[str, Any]]:
        """One payment per instalment of the contract's payment plan, the last one settling."""
        for instalment in self.deal.contract["paymentPlan"]:
            self.pay(
                instalment["amount"]["amount"],
                f"{self.deal.contract['number']}/{instalment['position']}",
            )
        return self.deal.payments

    def invoice_state(self) -> dict[str, Any]:
        found: dict[str, Any] = self.query(
            "finance",
            f"query($id: ID!) {{ invoice(id: $id) {{ {self.INVOICE} }} }}",
            {"id": self.deal.invoice["id"]},
        )["invoice"]
        self.deal.invoice = found
        return found

    # -- credit control ---------------------------------------------------------------------------

    def direct_order(
        self, customer: str, lines: Sequence[tuple[str, Decimal, Decimal]]
    ) -> dict[str, Any]:
        """An order entered by the back office without a contract (a repeat order by phone):
        lines of material, quantity and unit price in the BU's currency."""
        self.open_deal(customer=customer, name=f"Nachbestellung {customer}")
        self.deal.order = self.mutate(
            "manager",
            "orderCreate",
            f"""mutation($account: ID!, $lines: [OrderLineInput!]!) {{
              orderCreate(account: $account, lines: $lines) {{
                order {{ {self.ORDER} }} {ERRORS} }} }}""",
            {
                "account": self.deal.account,
                "lines": [
                    {
                        "material": self.material(code),
                        "quantity": _plain(quantity),
                        "unitPrice": _plain(price),
                    }
                    for code, quantity, price in lines
                ],
            },
        )["order"]
        return self.deal.order

    HOLD = f"""id status reason amount {MONEY} exposure {MONEY} creditLimit {MONEY}
      missingCells {{ region status }} attempts"""

    def credit_hold(self) -> dict[str, Any]:
        """The order's hold, from finance's worklist."""
        found = self.query(
            "finance",
            f"""query($order: ID!) {{ creditHolds(first: 1, filter: {{order: $order}}) {{
              edges {{ node {{ {self.HOLD} }} }} }} }}""",
            {"order": self.deal.order["id"]},
        )["creditHolds"]["edges"]
        hold: dict[str, Any] = found[0]["node"]
        return hold

    def release_credit(self, comment: str) -> dict[str, Any]:
        """Finance releases the blocked order (for its amount), with the reason on record."""
        released: dict[str, Any] = self.mutate(
            "finance",
            "orderCreditRelease",
            f"""mutation($order: ID!, $comment: String!) {{
              orderCreditRelease(order: $order, comment: $comment) {{
                hold {{ {self.HOLD} }} {ERRORS} }} }}""",
            {"order": self.deal.order["id"], "comment": comment},
        )
        return released

    def run(self) -> Deal:
        """The whole way, from the deal to the last payment."""
        self.configure()
        self.open_deal()
        self.make_quote()
        self.send_and_accept()
        self.make_contract()
        self.submit()
        self.approve_all()
        self.sign()
        self.make_order()
        self.confirm()
        self.deliver_all()
        self.invoice_delivered()
        self.pay_the_plan()
        return self.deal


# -- over HTTP, against the demo cells of `make run` ----------------------------------------------


class HttpAsk:
    """Asks the demo cells over HTTP, each BU at its own cell, signed in as the demo people."""

    def __init__(self, urls: Mapping[str, str], password: str, timeout: float = 30.0) -> None:
        self.urls = dict(urls)  # BU handle -> the GraphQL URL of its cell
        self.password = password
        self.timeout = timeout
        self.tokens: dict[tuple[str, str], str] = {}

    def post(self, url: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310  (the cells' own http URLs)
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
        if answer.get("errors"):
            raise RuntimeError(json.dumps(answer["errors"], ensure_ascii=False))
        data: dict[str, Any] = answer["data"]
        return data

    def token(self, url: str, username: str) -> str:
        if (url, username) not in self.tokens:
            signed = self.post(
                url,
                {
                    "query": "mutation($u: String!, $p: String!) { "
                    "signIn(username: $u, password: $p) { token errors { code } } }",
                    "variables": {"u": username, "p": self.password},
                },
                {},
            )["signIn"]
            if signed["errors"]:
                raise StepRefusedError("signIn", signed["errors"])
            self.tokens[url, username] = signed["token"]
        return self.tokens[url, username]

    def __call__(
        self, handle: str, username: str, query: str, variables: Mapping[str, Any]
    ) -> dict[str, Any]:
        url = self.urls[handle]
        headers = {
            "Authorization": f"Bearer {self.token(url, username)}",
            "X-Business-Unit": handle,
        }
        return self.post(url, {"query": query, "variables": dict(variables)}, headers)


def wait_for(urls: Sequence[str], timeout: float = 120.0) -> None:
    """Until every URL answers (the cells have started)."""
    deadline = time.monotonic() + timeout
    for url in urls:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                    break
            except urllib.error.HTTPError:
                break  # it answered
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


GROUP_DASHBOARD = f"""query {{
  groupRfm {{ currency complete missingRegions
    rows {{ region businessUnit segment customers orders monetary {MONEY} }} }}
  groupReceivablesAging {{ complete missingRegions }}
}}"""


def credit_block_and_release(ask: Ask) -> dict[str, Any]:
    """The German order over Isar Medizintechnik's limit: blocked, released by finance,
    confirmed. Returns the hold as finance saw it."""
    run = QuoteToCash(ask, GERMANY)
    run.direct_order(
        CREDIT_CUSTOMER, [(code, qty, Decimal("2190.00")) for code, qty, _t in CREDIT_LINES]
    )
    try:
        run.confirm()
    except StepRefusedError as refused:
        if "CREDIT_LIMIT_EXCEEDED" not in refused.codes:
            raise
    else:
        raise RuntimeError("the order over the credit limit was confirmed")
    hold = run.credit_hold()
    run.release_credit("Bankbürgschaft liegt vor (Demo)")
    run.confirm()
    return hold


def run_demo(ask: Ask, say: Callable[[str], None] = print) -> None:
    """The whole quote-to-cash demo, once: a BU that has contracts already is left alone."""
    done = ask(
        GERMANY.handle, GERMANY.people + "manager", "{ contracts(first: 1) { totalCount } }", {}
    )
    if done["contracts"]["totalCount"]:
        say("quote-to-cash demo: already run")
        return
    for market in (GERMANY, JAPAN):
        deal = QuoteToCash(ask, market).run()
        paid = deal.invoice and deal.payments
        say(
            f"quote-to-cash demo in {market.handle}: quote {deal.quote['number']}, contract "
            f"{deal.contract['number']} ({deal.contract['total']['amount']} {market.currency}), "
            f"order {deal.order['number']}, invoice {deal.invoice['number']}, "
            f"{len(deal.payments)} payments{' (paid)' if paid else ''}"
        )
    hold = credit_block_and_release(ask)
    say(
        f"credit control: {CREDIT_CUSTOMER}'s order blocked ({hold['reason']}: exposure "
        f"{hold['exposure']['amount']} + {hold['amount']['amount']} over the limit "
        f"{hold['creditLimit']['amount']} {hold['creditLimit']['currency']}), released by finance"
    )
    board = ask("lumina.hq", "lumina.director", GROUP_DASHBOARD, {})["groupRfm"]
    for row in board["rows"]:
        say(
            f"group dashboard ({board['currency']}): {row['businessUnit']} {row['segment']} "
            f"{row['customers']} customer(s), {row['orders']} order(s), "
            f"{row['monetary']['amount']} {row['monetary']['currency']}"
        )


def main() -> None:
    """`make run`'s last step: once every demo cell answers, run the demo over HTTP."""
    from crm.infra import endpoints
    from crm.infra.demo import DEMO_PASSWORD

    urls = {
        "lumina.hq": endpoints.cell_url("cn"),
        "lumina.de": endpoints.cell_url("eu"),
        "lumina.jp": endpoints.cell_url("ap"),
    }
    wait_for(sorted(set(urls.values())))
    try:
        run_demo(HttpAsk(urls, DEMO_PASSWORD))
    except Exception as error:  # the servers keep running; the reason is shown
        print(f"quote-to-cash demo failed: {error}", flush=True)
