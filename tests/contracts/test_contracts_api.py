"""Contracts through the API: made from accepted quotes only, routed through the BU's approval
flows by amount in the group currency and by discount (sequential and parallel, delegation,
four eyes, rejection), signed only once approved, with a payment plan that sums exactly, the
`contract-signed` rule firing once; finance from signed, legal in negotiation; isolation."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.accounts.models import User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.automation.models import Firing, Notification, Rule
from crm.tenants.contracts import services
from crm.tenants.contracts.models import (
    ApprovalDelegation,
    ApprovalTask,
    Contract,
    ContractStatus,
    PaymentInstalment,
)
from crm.tenants.models import BusinessUnit
from crm.tests.contracts.helpers import flow, make_contract
from crm.tests.opportunities.helpers import access_of
from crm.tests.quotes.helpers import limit, make_quote, person, schema

SALES, MANAGER, FINANCE, LEGAL = (
    "acme.de.sales",
    "acme.de.manager",
    "acme.de.finance",
    "acme.de.legal",
)
DIRECTOR = "acme.director"

CONTRACT = """
fragment C on Contract {
  id number status currency total { amount currency } netTotal { amount } discount
  amountGroup { amount currency } terms paymentTerms { percent days }
  paymentPlan { position percent dueDate amount { amount currency } }
  approvals { id step { position name } approver { role user { username } } status
              decidedBy { username } onBehalfOf { username } comment }
  events { kind step actor comment onBehalfOf { username } }
  signedOn
}
"""
ONE = CONTRACT + "query($id: ID!) { contract(id: $id) { ...C } }"
CREATE = (
    CONTRACT
    + """mutation($quote: ID!, $terms: [PaymentShareInput!]) {
  contractCreate(quote: $quote, paymentTerms: $terms, terms: "AGB 2026") {
    errors { field code message } contract { ...C } } }"""
)
SUBMIT = (
    CONTRACT
    + """mutation($id: ID!) { contractSubmit(id: $id, comment: "bitte prüfen") {
  errors { field code message } contract { ...C } } }"""
)
SIGN = (
    CONTRACT
    + """mutation($id: ID!) { contractSign(id: $id) {
  errors { field code message } contract { ...C } } }"""
)
DECIDE = """mutation($id: ID!, $ok: Boolean!, $comment: String) {
  approvalDecide(id: $id, approve: $ok, comment: $comment) {
    errors { field code message } approval { status decidedBy { username }
      onBehalfOf { username } } } }"""
UPDATE = """mutation($id: ID!, $terms: String, $shares: [PaymentShareInput!]) {
  contractUpdate(id: $id, terms: $terms, paymentTerms: $shares) {
    errors { field code } contract { terms paymentTerms { percent days } } } }"""


@pytest.fixture
def eu(settings: Any, world: Any) -> Any:
    settings.REGION = "eu"
    return world


def gid(contract: Contract) -> str:
    return to_global_id("Contract", contract.pk)


def submit(graphql: Any, contract: Contract, as_: str = SALES) -> dict[str, Any]:
    reply = graphql(SUBMIT, {"id": gid(contract)}, bu="acme.de", as_=as_)
    assert reply.errors == [], reply.errors
    result: dict[str, Any] = reply.data["contractSubmit"]
    return result


def decide(graphql: Any, approval: str, as_: str, ok: bool = True, comment: str = "ok") -> Any:
    return graphql(DECIDE, {"id": approval, "ok": ok, "comment": comment}, bu="acme.de", as_=as_)


def status(contract: Contract) -> str:
    with schema_context(schema()):
        return str(Contract.objects.get(pk=contract.pk).status)


def standard_flows() -> None:
    """Large contracts: the manager, then HQ's sales director; the others: the manager and
    finance at once."""
    flow("large", "SEQUENTIAL", ["bu_manager", "hq_director"], min_amount_group="500000")
    flow("any", "PARALLEL", ["bu_manager", "finance"], position=10)


def test_a_contract_is_made_from_an_accepted_quote_only_once(eu, graphql):
    draft = make_quote()
    refused = graphql(
        CREATE, {"quote": to_global_id("Quote", draft.pk)}, bu="acme.de", as_=SALES
    ).data["contractCreate"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("QUOTE_NOT_ACCEPTED", "quote")]
    contract = make_contract(codes=["M-001", "M-002"], quantities=["2", "1"])
    with schema_context(schema()):
        assert contract.total_amount == contract.quote.gross_amount == Decimal("42.25")
    again = graphql(
        CREATE, {"quote": to_global_id("Quote", contract.quote_id)}, bu="acme.de", as_=SALES
    ).data["contractCreate"]
    assert [e["code"] for e in again["errors"]] == ["ALREADY_EXISTS"]
    shown = graphql(ONE, {"id": gid(contract)}, bu="acme.de", as_=SALES).data["contract"]
    assert shown["status"] == "NEGOTIATION"
    assert shown["number"].startswith("C-")
    # 23.00 + 4.37 and 12.50 + 2.38 (2.375 up): tax per line.
    assert shown["total"] == {"amount": "42.25", "currency": "EUR"}
    assert shown["paymentTerms"] == [{"percent": "100", "days": 30}]
    assert shown["paymentPlan"] == []
    assert shown["approvals"] == []


def test_small_contracts_take_the_parallel_flow(eu, graphql):
    standard_flows()
    contract = make_contract()
    submitted = submit(graphql, contract)["contract"]
    assert submitted["status"] == "IN_APPROVAL"
    # 13.69 EUR at 1 / 0.128 = 106.953125 CNY.
    assert submitted["amountGroup"] == {"amount": "106.95", "currency": "CNY"}
    tasks = submitted["approvals"]
    assert [(t["approver"]["role"], t["status"]) for t in tasks] == [
        ("bu_manager", "PENDING"),
        ("finance", "PENDING"),
    ]
    # Finance decides first: parallel steps need no order.
    assert decide(graphql, tasks[1]["id"], FINANCE).data["approvalDecide"]["errors"] == []
    assert status(contract) == ContractStatus.IN_APPROVAL
    early = graphql(SIGN, {"id": gid(contract)}, bu="acme.de", as_=SALES).data["contractSign"]
    assert [e["code"] for e in early["errors"]] == ["CONTRACT_NOT_APPROVED"]
    assert decide(graphql, tasks[0]["id"], MANAGER).data["approvalDecide"]["errors"] == []
    shown = graphql(ONE, {"id": gid(contract)}, bu="acme.de", as_=SALES).data["contract"]
    assert shown["status"] == "APPROVED"
    assert [e["kind"] for e in shown["events"]] == [
        "SUBMITTED",
        "OPENED",
        "OPENED",
        "APPROVED",
        "APPROVED",
        "COMPLETED",
    ]
    assert shown["events"][0]["comment"] == "bitte prüfen"
    assert shown["events"][3]["actor"] == FINANCE
    assert shown["events"][3]["step"] == "finance"


def test_large_contracts_take_the_sequential_flow(eu, graphql):
    standard_flows()
    # 10,000 × 11.50 EUR + 19 % = 136,850 EUR = 1,069,140.63 CNY: above 500,000.
    contract = make_contract(quantities=["10000"])
    tasks = submit(graphql, contract)["contract"]["approvals"]
    assert [(t["approver"]["role"], t["status"]) for t in tasks] == [
        ("bu_manager", "PENDING"),
        ("hq_director", "WAITING"),
    ]
    early = decide(graphql, tasks[1]["id"], DIRECTOR).data["approvalDecide"]
    assert [e["code"] for e in early["errors"]] == ["NOT_AN_APPROVER"]
    wrong = decide(graphql, tasks[0]["id"], DIRECTOR).data["approvalDecide"]
    assert [e["code"] for e in wrong["errors"]] == ["NOT_AN_APPROVER"]  # not the BU's manager
    assert decide(graphql, tasks[0]["id"], MANAGER).data["approvalDecide"]["errors"] == []
    assert status(contract) == ContractStatus.IN_APPROVAL
    again = decide(graphql, tasks[0]["id"], MANAGER).data["approvalDecide"]
    assert [e["code"] for e in again["errors"]] == ["ALREADY_DECIDED"]
    assert decide(graphql, tasks[1]["id"], DIRECTOR).data["approvalDecide"]["errors"] == []
    assert status(contract) == ContractStatus.APPROVED


def test_a_discount_threshold_adds_a_step(eu, graphql):
    limit("front_sales", "15")
    flow(
        "by-discount",
        "SEQUENTIAL",
        ["bu_manager", ("legal", {"discount": "10"})],
    )
    plain = make_contract()
    assert [t["approver"]["role"] for t in submit(graphql, plain)["contract"]["approvals"]] == [
        "bu_manager"
    ]
    discounted = make_contract(discounts=["12"])
    routed = submit(graphql, discounted)["contract"]
    assert Decimal(routed["discount"]) == Decimal(12)
    assert [t["approver"]["role"] for t in routed["approvals"]] == ["bu_manager", "legal"]


def test_a_delegate_decides_for_the_approver_within_the_period(eu, graphql):
    manager = User.objects.get(username=MANAGER)
    flow("named", "SEQUENTIAL", [manager.pk])
    today = eu.today
    delegated = graphql(
        """mutation($to: ID!, $from: Date!, $until: Date!) {
          approvalDelegate(delegate: $to, startsOn: $from, endsOn: $until, note: "Urlaub") {
            errors { field code }
            delegation { delegator { username } delegate { username } } } }""",
        {
            "to": to_global_id("User", User.objects.get(username=LEGAL).pk),
            "from": (today - datetime.timedelta(days=1)).isoformat(),
            "until": (today + datetime.timedelta(days=7)).isoformat(),
        },
        bu="acme.de",
        as_=MANAGER,
    ).data["approvalDelegate"]
    assert delegated == {
        "errors": [],
        "delegation": {"delegator": {"username": MANAGER}, "delegate": {"username": LEGAL}},
    }
    # Finance's delegation ended yesterday: no standing.
    with schema_context(schema()):
        ApprovalDelegation.objects.create(
            delegator=manager,
            delegate=User.objects.get(username=FINANCE),
            starts_on=today - datetime.timedelta(days=10),
            ends_on=today - datetime.timedelta(days=1),
        )
    contract = make_contract()
    task = submit(graphql, contract)["contract"]["approvals"][0]
    inbox = graphql(
        "{ myApprovals(first: 10) { edges { node { id contract { number } } } } }",
        bu="acme.de",
        as_=LEGAL,
    ).data["myApprovals"]["edges"]
    assert [edge["node"]["id"] for edge in inbox] == [task["id"]]
    stale = decide(graphql, task["id"], FINANCE).data["approvalDecide"]
    assert [e["code"] for e in stale["errors"]] == ["NOT_AN_APPROVER"]
    done = decide(graphql, task["id"], LEGAL, comment="in Vertretung").data["approvalDecide"]
    assert done == {
        "errors": [],
        "approval": {
            "status": "APPROVED",
            "decidedBy": {"username": LEGAL},
            "onBehalfOf": {"username": MANAGER},
        },
    }
    events = graphql(ONE, {"id": gid(contract)}, bu="acme.de", as_=SALES).data["contract"]["events"]
    approved = next(e for e in events if e["kind"] == "APPROVED")
    assert approved["actor"] == LEGAL
    assert approved["onBehalfOf"] == {"username": MANAGER}
    assert approved["comment"] == "in Vertretung"
    assert status(contract) == ContractStatus.APPROVED


def test_nobody_approves_their_own_contract(eu, graphql):
    flow("managers", "SEQUENTIAL", ["bu_manager"])
    contract = make_contract(as_=MANAGER)
    task = submit(graphql, contract, as_=MANAGER)["contract"]["approvals"][0]
    own = decide(graphql, task["id"], MANAGER).data["approvalDecide"]
    assert [e["code"] for e in own["errors"]] == ["NOT_AN_APPROVER"]
    assert status(contract) == ContractStatus.IN_APPROVAL


def test_a_rejection_sends_the_contract_back_to_negotiation(eu, graphql):
    standard_flows()
    contract = make_contract()
    tasks = submit(graphql, contract)["contract"]["approvals"]
    rejected = decide(graphql, tasks[0]["id"], MANAGER, ok=False, comment="Preis zu niedrig")
    assert rejected.data["approvalDecide"]["approval"]["status"] == "REJECTED"
    assert status(contract) == ContractStatus.NEGOTIATION
    with schema_context(schema()):
        assert ApprovalTask.objects.get(pk=int(_pk(tasks[1]["id"]))).status == "WITHDRAWN"
    late = decide(graphql, tasks[1]["id"], FINANCE).data["approvalDecide"]
    assert [e["code"] for e in late["errors"]] == ["ALREADY_DECIDED"]
    # Negotiated again and resubmitted: a new request with new steps.
    resubmitted = submit(graphql, contract)["contract"]
    assert resubmitted["status"] == "IN_APPROVAL"
    assert {t["id"] for t in resubmitted["approvals"]}.isdisjoint({t["id"] for t in tasks})


def _pk(global_id: str) -> str:
    from graphql_relay import from_global_id

    return from_global_id(global_id)[1].rpartition(".")[2]


def test_signing_an_unapproved_contract_is_refused_and_changes_nothing(eu, graphql):
    flow("managers", "SEQUENTIAL", ["bu_manager"])
    contract = make_contract()
    for stage in ("negotiation", "in_approval"):
        if stage == "in_approval":
            submit(graphql, contract)
        refused = graphql(SIGN, {"id": gid(contract)}, bu="acme.de", as_=SALES).data["contractSign"]
        assert [e["code"] for e in refused["errors"]] == ["CONTRACT_NOT_APPROVED"]
        with schema_context(schema()), pytest.raises(CrmError) as unsigned:
            services.signed_contract(access_of(SALES), contract.pk)
        assert unsigned.value.code == ErrorCode.CONTRACT_NOT_APPROVED
        assert refused["contract"] is None
        with schema_context(schema()):
            assert Contract.objects.get(pk=contract.pk).signed_on is None
            assert not PaymentInstalment.objects.filter(contract=contract).exists()
        assert status(contract) == stage


def test_signing_makes_the_payment_plan_and_fires_the_rule_once(eu, graphql):
    delivery = person("acme.de.delivery", "delivery")
    terms = [
        {"percent": "30", "days": 0},
        {"percent": "60", "days": 60},
        {"percent": "10", "days": 90},
    ]
    contract = make_contract(codes=["M-001", "M-031"], quantities=["7", "3"], payment_terms=terms)
    # No flow in this BU: approved when submitted.
    submitted = submit(graphql, contract)["contract"]
    assert submitted["status"] == "APPROVED"
    assert [e["kind"] for e in submitted["events"]] == ["SUBMITTED", "NOT_REQUIRED"]
    # Finance sees contracts from "signed" on only.
    hidden = graphql(ONE, {"id": gid(contract)}, bu="acme.de", as_=FINANCE)
    assert hidden.codes == ["NOT_FOUND"]
    signed = graphql(SIGN, {"id": gid(contract)}, bu="acme.de", as_=SALES).data["contractSign"]
    assert signed["errors"] == []
    shown = signed["contract"]
    today = eu.today
    assert shown["status"] == "SIGNED"
    assert shown["signedOn"] == today.isoformat()
    # 7 × 11.50 = 80.50 (+ 15.30 tax) and 3 × 16.82 = 50.46 (+ 9.59): 155.85 gross.
    assert shown["total"] == {"amount": "155.85", "currency": "EUR"}
    plan = shown["paymentPlan"]
    assert [(p["percent"], p["amount"]["amount"]) for p in plan] == [
        ("30.00", "46.76"),  # 46.755 up
        ("60.00", "93.51"),
        ("10.00", "15.58"),  # the rest (15.585 would round to 15.59: the sum wins)
    ]
    assert sum(Decimal(p["amount"]["amount"]) for p in plan) == Decimal("155.85")
    assert [p["dueDate"] for p in plan] == [
        (today + datetime.timedelta(days=days)).isoformat() for days in (0, 60, 90)
    ]
    seen = graphql(ONE, {"id": gid(contract)}, bu="acme.de", as_=FINANCE)
    assert seen.errors == []
    assert len(seen.data["contract"]["paymentPlan"]) == 3
    with schema_context(schema()):
        rule = Rule.objects.get(default_code="contract-signed")
        assert rule.active
        firings = list(Firing.objects.filter(rule=rule, record_id=contract.pk))
        assert len(firings) == 1
        outcome = firings[0].outcome["actions"]
        assert outcome[0]["type"] == "CREATE_PAYMENT_PLAN"
        assert outcome[0]["created"] is False
        assert PaymentInstalment.objects.filter(contract=contract).count() == 3
        notified = set(
            Notification.objects.filter(rule=rule, record_id=contract.pk).values_list(
                "recipient__username", flat=True
            )
        )
    assert {FINANCE, delivery.username} <= notified
    with schema_context(schema()):
        ordered = services.signed_contract(access_of(SALES), contract.pk)
    assert ordered.total.amount == Decimal("155.85")
    assert str(ordered.total.currency) == "EUR"
    again = graphql(SIGN, {"id": gid(contract)}, bu="acme.de", as_=SALES).data["contractSign"]
    assert [e["code"] for e in again["errors"]] == ["RECORD_CLOSED"]
    with schema_context(schema()):
        assert Firing.objects.filter(rule=rule, record_id=contract.pk).count() == 1


def test_a_japanese_contract_is_planned_in_whole_yen(world):
    contract = make_contract(
        bu="jp",
        as_="acme.jp.sales",
        codes=["M-011"],
        quantities=["3"],
        payment_terms=[{"percent": "33.33", "days": 0}, {"percent": "66.67", "days": 30}],
    )
    access = access_of("acme.jp.sales", "jp")
    with schema_context(schema("jp")):
        contract = services.submit(access, contract)
        contract = services.sign(access, contract)
        plan = services.payment_plan(contract)
    # 3 × 2,344 = 7,032 yen + 10 % (703.2 → 703) = 7,735 yen.
    assert contract.total_amount == Decimal("7735")
    assert [p.amount for p in plan] == [Decimal("2578"), Decimal("5157")]  # 2578.0755 → 2578
    assert sum(p.amount for p in plan) == contract.total_amount


def test_legal_writes_the_terms_while_they_are_negotiated_only(eu, graphql):
    flow("managers", "SEQUENTIAL", ["bu_manager"])
    contract = make_contract()
    written = graphql(
        UPDATE, {"id": gid(contract), "terms": "Gerichtsstand München"}, bu="acme.de", as_=LEGAL
    ).data["contractUpdate"]
    assert written["errors"] == []
    assert written["contract"]["terms"] == "Gerichtsstand München"
    shares = [{"percent": "50", "days": 0}, {"percent": "50", "days": 30}]
    money = graphql(UPDATE, {"id": gid(contract), "shares": shares}, bu="acme.de", as_=LEGAL)
    assert [e["code"] for e in money.data["contractUpdate"]["errors"]] == ["PERMISSION_DENIED"]
    bad = graphql(
        UPDATE,
        {"id": gid(contract), "shares": [{"percent": "50", "days": 0}]},
        bu="acme.de",
        as_=SALES,
    ).data["contractUpdate"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [
        ("INVALID_ARGUMENT", "paymentTerms")
    ]
    submit(graphql, contract)
    closed = graphql(UPDATE, {"id": gid(contract), "terms": "x"}, bu="acme.de", as_=LEGAL)
    assert [e["code"] for e in closed.data["contractUpdate"]["errors"]] == ["RECORD_CLOSED"]


def test_another_business_units_contract_is_not_found(eu, graphql):
    japanese = make_contract(bu="jp", as_="acme.jp.sales")
    jp = BusinessUnit.objects.get(group__code="acme", code="jp")
    foreign = to_global_id("Contract", f"{jp.pk}.{japanese.pk}")
    reply = graphql(ONE, {"id": foreign}, bu="acme.de", as_=MANAGER)
    assert reply.codes == ["NOT_FOUND"]
    signed = graphql(SIGN, {"id": foreign}, bu="acme.de", as_=MANAGER).data["contractSign"]
    assert [e["code"] for e in signed["errors"]] == ["NOT_FOUND"]


def test_flows_are_kept_by_managers_as_data(eu, graphql):
    save = """mutation($steps: [ApprovalStepInput!]!) {
      approvalFlowSave(code: "big", mode: PARALLEL, minAmountGroup: "100000", steps: $steps) {
        errors { field code } flow { code mode thresholds { minAmountGroup }
          steps { position approver { role user { username } } } } } }"""
    steps = [
        {"role": "finance"},
        {"user": to_global_id("User", User.objects.get(username=LEGAL).pk)},
    ]
    refused = graphql(save, {"steps": steps}, bu="acme.de", as_=SALES).data["approvalFlowSave"]
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    bad = graphql(save, {"steps": [{"role": "pope"}]}, bu="acme.de", as_=MANAGER)
    assert [(e["code"], e["field"]) for e in bad.data["approvalFlowSave"]["errors"]] == [
        ("NOT_FOUND", "steps.0.role")
    ]
    saved = graphql(save, {"steps": steps}, bu="acme.de", as_=MANAGER).data["approvalFlowSave"]
    assert saved["errors"] == []
    assert saved["flow"]["mode"] == "PARALLEL"
    assert Decimal(saved["flow"]["thresholds"]["minAmountGroup"]) == Decimal(100000)
    assert [s["approver"] for s in saved["flow"]["steps"]] == [
        {"role": "finance", "user": None},
        {"role": None, "user": {"username": LEGAL}},
    ]
    listed = graphql("{ approvalFlows { code } }", bu="acme.de", as_=FINANCE).data
    assert listed["approvalFlows"] == [{"code": "big"}]


@pytest.mark.parametrize("listing", ["contracts", "quotes"])
def test_a_page_of_contracts_or_quotes_costs_the_same_statements_for_2_or_6(eu, graphql, listing):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.tests.quotes.test_quotes_api import QUOTE

    standard_flows()
    made: list[Contract] = []
    query = (
        CONTRACT + "{ contracts(first: 20) { edges { node { ...C } } } }"
        if listing == "contracts"
        else QUOTE + "{ quotes(first: 20) { edges { node { ...Q } } } }"
    )

    def statements(count: int) -> int:
        while len(made) < count:
            contract = make_contract(codes=["M-001", "M-002"], quantities=["2", "3"])
            with schema_context(schema()):
                services.submit(access_of(SALES, "de"), contract)
            made.append(contract)
        with CaptureQueriesContext(connection) as queries:
            reply = graphql(query, bu="acme.de", as_=MANAGER)
        assert reply.errors == []
        assert len(reply.data[listing]["edges"]) == count
        return len(queries.captured_queries)

    statements(1)  # the first request of a user reads their grants and the policy once
    two = statements(2)
    assert statements(6) == two


CANCEL = (
    CONTRACT
    + """mutation($id: ID!, $comment: String!) { contractCancel(id: $id, comment: $comment) {
  errors { field code message } contract { ...C } } }"""
)


def test_cancelling_a_contract_in_approval_withdraws_its_steps_and_keeps_the_reason(eu, graphql):
    flow("managers", "SEQUENTIAL", ["bu_manager", "finance"])
    contract = make_contract()
    pending = submit(graphql, contract)["contract"]["approvals"]
    assert [a["status"] for a in pending] == ["PENDING", "WAITING"]
    reply = graphql(
        CANCEL, {"id": gid(contract), "comment": "Kunde hat abgesagt"}, bu="acme.de", as_=MANAGER
    )
    cancelled = reply.data["contractCancel"]
    assert cancelled["errors"] == []
    shown = cancelled["contract"]
    assert shown["status"] == "CANCELLED"
    assert [a["status"] for a in shown["approvals"]] == ["WITHDRAWN", "WITHDRAWN"]
    last = shown["events"][-1]
    assert (last["kind"], last["comment"]) == ("CANCELLED", "Kunde hat abgesagt")
    # The withdrawn step can no longer be decided, and the contract no longer signed.
    late = decide(graphql, pending[0]["id"], MANAGER)
    assert [e["code"] for e in late.data["approvalDecide"]["errors"]] == ["ALREADY_DECIDED"]
    sign = graphql(SIGN, {"id": gid(contract)}, bu="acme.de", as_=MANAGER).data["contractSign"]
    assert [e["code"] for e in sign["errors"]] == ["RECORD_CLOSED"]
    assert status(contract) == "cancelled"


def test_a_contract_is_not_cancelled_when_signed_without_a_reason_or_by_sales(eu, graphql):
    contract = make_contract()
    cases = [
        (SALES, "zu teuer", "PERMISSION_DENIED"),  # salespeople do not cancel
        (MANAGER, "  ", "REQUIRED_FIELD_MISSING"),
    ]
    for who, comment, code in cases:
        reply = graphql(CANCEL, {"id": gid(contract), "comment": comment}, bu="acme.de", as_=who)
        assert [e["code"] for e in reply.data["contractCancel"]["errors"]] == [code]
        assert status(contract) == "negotiation"
    submit(graphql, contract)  # no flow: approved at once
    graphql(SIGN, {"id": gid(contract)}, bu="acme.de", as_=SALES)
    assert status(contract) == "signed"
    reply = graphql(CANCEL, {"id": gid(contract), "comment": "x"}, bu="acme.de", as_=MANAGER)
    assert [e["code"] for e in reply.data["contractCancel"]["errors"]] == ["RECORD_CLOSED"]
    assert status(contract) == "signed"
    with schema_context(schema()):
        assert PaymentInstalment.objects.filter(contract=contract).exists()
    malformed = graphql(CANCEL, {"id": "nope", "comment": "x"}, bu="acme.de", as_=MANAGER)
    assert [e["code"] for e in malformed.data["contractCancel"]["errors"]] == ["MALFORMED_ID"]
