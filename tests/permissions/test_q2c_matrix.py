"""The default policy of quote to cash beyond reads and field writes (test_quote_matrix.py and
tests/ledger/test_matrix.py): every role's stage actions on quotes and contracts, creating each
kind of document, deciding approvals, the BU's tax rates and approval flows, and the policy's
own promises (who sees the margin, legal at negotiation, finance from signed).

The expected answers come from the policy's data through the oracle in `matrix.py`; every
refused mutation changes nothing (each runs in a savepoint that is rolled back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.permissions.defaults import (
    BACK_SUPPORT,
    DEFAULT_POLICY,
    DEFAULT_ROLES,
    DELIVERY,
    FINANCE,
    FRONT_SALES,
    INTEGRATION,
    LEGAL,
    MARGIN_READERS,
)
from crm.platform.permissions.vocabulary import Action
from crm.tests.ledger.conftest import ledger_tax_rates  # noqa: F401  (orders need rates)
from crm.tests.permissions.matrix import expected, member, payload_of, rolled_back
from crm.tests.permissions.test_quote_matrix import (
    CONTRACT_STAGES,
    QUOTE_STAGES,
    _contract,
    _quote,
)
from crm.tests.permissions.test_sales_matrix import OTHER, SCHEMA

ROLES = list(DEFAULT_ROLES)
MARGIN_BLIND = (FRONT_SALES, BACK_SUPPORT, LEGAL, DELIVERY, INTEGRATION)
PRICED = ("unit_price", "price_source", "net", "gross", "unit_cost", "margin")


# -- the policy's promises (its data, no API) ---------------------------------------------------


def test_the_margin_and_a_lines_cost_show_to_hq_managers_and_finance_only():
    for role in ROLES:
        for stage in QUOTE_STAGES:
            for owned in (True, False):
                quote = expected("quote", ("margin",), role, stage, owned=owned)
                if Action.VIEW in quote.actions:
                    assert quote.mode("margin") == (
                        "read" if role in MARGIN_READERS else "hidden"
                    ), (role, stage)
        line = expected("quote_line", ("margin", "unit_cost"), role, "")
        if Action.VIEW in line.actions:
            shown = "read" if role in MARGIN_READERS else "hidden"
            assert (line.mode("margin"), line.mode("unit_cost")) == (shown, shown), role
    assert not set(MARGIN_BLIND) & set(MARGIN_READERS)
    # The cost behind it is hidden from them on the material too.
    for role in MARGIN_BLIND:
        assert expected("material", ("standard_cost",), role, "ACTIVE").mode("standard_cost") == (
            "hidden"
        )


def test_priced_amounts_are_never_written_by_hand():
    for spec in DEFAULT_POLICY["quote_line"]:
        for name in PRICED:
            assert spec.fields.get(name, spec.default) != "write", (spec.role, name)
    for spec in DEFAULT_POLICY["quote"]:
        for name in ("margin", "net_total", "gross_total", "tax_total"):
            assert spec.fields.get(name, spec.default) != "write", (spec.role, name)


def test_back_end_support_prepares_lines_but_not_the_quote():
    line = expected("quote_line", ("material", "quantity", "discount", "tax"), BACK_SUPPORT, "")
    assert {Action.CREATE, Action.EDIT, Action.DELETE} <= line.actions
    assert all(line.may_write(name) for name in ("material", "quantity", "discount", "tax"))
    for stage in QUOTE_STAGES:
        quote = expected("quote", ("note",), BACK_SUPPORT, stage, owned=False)
        assert quote.actions == frozenset({Action.VIEW}), stage


def test_legal_works_at_negotiation():
    for stage in CONTRACT_STAGES:
        contract = expected("contract", ("terms", "payment_terms"), LEGAL, stage, owned=False)
        assert Action.VIEW in contract.actions, stage
        assert contract.may_write("terms") == (stage == "negotiation"), stage
        assert not contract.may_write("payment_terms"), stage
    deals = {
        stage: Action.VIEW in expected("opportunity", (), LEGAL, stage, owned=False).actions
        for stage in ("solution", "quote", "negotiation", "won")
    }
    assert deals == {"solution": False, "quote": False, "negotiation": True, "won": False}
    quotes = {
        stage: Action.VIEW in expected("quote", (), LEGAL, stage, owned=False).actions
        for stage in QUOTE_STAGES
    }
    assert quotes == {
        "DRAFT": False,
        "AWAITING_APPROVAL": False,
        "SENT": True,
        "ACCEPTED": True,
        "REJECTED": True,
        "EXPIRED": True,
    }


def test_finance_comes_in_at_signed():
    for stage in CONTRACT_STAGES:
        contract = expected("contract", ("payment_plan",), FINANCE, stage, owned=False)
        assert (Action.VIEW in contract.actions) == (stage == "signed"), stage
    # ... and then owns the money: invoices, credit notes and payments.
    for object_type in ("invoice", "credit_note", "payment"):
        assert Action.CREATE in expected(object_type, (), FINANCE, "", on_type=True).actions


# -- stage actions through the API ---------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    object_type: str
    action: str
    stage: str
    owned: bool  # by the tested user (else by another person of the BU)
    document: str
    make: Callable[[Any, str, str], Any]
    done: Callable[[Any], bool]


STEPS = (
    Step(
        "quote-send",
        "quote",
        Action.ADVANCE,
        "DRAFT",
        True,
        "mutation($id: ID!) { quoteSend(id: $id) { errors { code } } }",
        _quote,
        lambda quote: quote.status == "SENT",
    ),
    Step(
        "quote-approve-discount",
        "quote",
        Action.APPROVE,
        "AWAITING_APPROVAL",
        False,  # nobody approves their own quote's discount
        "mutation($id: ID!) { quoteDecideDiscount(id: $id, approve: true) { errors { code } } }",
        _quote,
        lambda quote: quote.status == "DRAFT",
    ),
    Step(
        "quote-accept",
        "quote",
        Action.ADVANCE,
        "SENT",
        True,
        "mutation($id: ID!) { quoteAccept(id: $id) { errors { code } } }",
        _quote,
        lambda quote: quote.status == "ACCEPTED",
    ),
    Step(
        "contract-submit",
        "contract",
        Action.ADVANCE,
        "negotiation",
        True,
        "mutation($id: ID!) { contractSubmit(id: $id) { errors { code } } }",
        _contract,
        lambda contract: contract.status == "approved",  # no flow: approved at once
    ),
    Step(
        "contract-sign",
        "contract",
        Action.ADVANCE,
        "approved",
        True,
        "mutation($id: ID!) { contractSign(id: $id) { errors { code } } }",
        _contract,
        lambda contract: contract.status == "signed" and contract.signed_on is not None,
    ),
    *(
        Step(
            f"contract-cancel-{stage}",
            "contract",
            Action.RETREAT,
            stage,
            True,
            'mutation($id: ID!) { contractCancel(id: $id, comment: "Kunde sagt ab") '
            "{ errors { code } } }",
            _contract,
            lambda contract: contract.status == "cancelled",
        )
        for stage in ("negotiation", "in_approval", "approved")
    ),
)


@pytest.mark.parametrize(
    ("step", "role"),
    [pytest.param(step, role, id=f"{step.name}-{role}") for step in STEPS for role in ROLES],
)
def test_stage_actions_on_quotes_and_contracts(world, graphql, settings, step, role):
    settings.REGION = "eu"
    username = member(role)
    record = step.make(world, step.stage, username if step.owned else OTHER)
    want = expected(step.object_type, (), role, step.stage, owned=step.owned)
    gid = to_global_id(type(record).__name__, record.pk)
    model = type(record)
    with schema_context(SCHEMA):
        before = model_to_dict(model.objects.get(pk=record.pk))
    with rolled_back():
        reply = graphql(step.document, {"id": gid}, bu="acme.de", as_=username)
        codes = [e["code"] for e in payload_of(reply)["errors"]]
        if Action.VIEW not in want.actions:
            assert codes == ["NOT_FOUND"]
        elif step.action not in want.actions:
            assert codes == ["PERMISSION_DENIED"]
        else:
            assert codes == []
        with schema_context(SCHEMA):
            after = model.objects.get(pk=record.pk)
            if codes:
                assert model_to_dict(after) == before
            else:
                assert step.done(after)


# -- creating each kind of document ---------------------------------------------------------


@dataclass(frozen=True)
class Creation:
    object_type: str
    # (world, tested user) -> (mutation, variables, the parent record's type and stage)
    prepare: Callable[[Any, str], tuple[str, dict[str, Any], str, str]]
    fields: tuple[str, ...]  # the fields the mutation writes (checked at the initial stage)
    parent_first: bool  # the parent is looked up before the permission is checked
    model: str


def _material_gid(code: str = "M-001") -> str:
    from crm.masterdata.models import Material

    return to_global_id("Material", Material.objects.get(group__code="acme", code=code).pk)


def _scoped(kind: str, pk: int) -> str:
    from crm.tests.relationships.helpers import business_unit

    return to_global_id(kind, f"{business_unit('acme.de').pk}.{pk}")


def _new_quote(world: Any, username: str) -> tuple[str, dict[str, Any], str, str]:
    from crm.tenants.opportunities.models import Opportunity
    from crm.tests.leads.helpers import user_id
    from crm.tests.opportunities.helpers import make_deal
    from crm.tests.quotes.helpers import standard_taxes

    standard_taxes("de")
    deal = make_deal(stage="solution")
    with schema_context(SCHEMA):
        Opportunity.objects.filter(pk=deal.pk).update(owner_id=user_id(username))
    return (
        """mutation($deal: ID!, $material: ID!) {
          quoteCreate(opportunity: $deal, lines: [{material: $material, quantity: "1"}]) {
            errors { code } } }""",
        {"deal": to_global_id("Opportunity", deal.pk), "material": _material_gid()},
        "opportunity",
        "solution",
    )


def _new_contract(world: Any, username: str) -> tuple[str, dict[str, Any], str, str]:
    quote = _quote(world, "ACCEPTED", username)
    return (
        "mutation($quote: ID!) { contractCreate(quote: $quote) { errors { code } } }",
        {"quote": to_global_id("Quote", quote.pk)},
        "quote",
        "ACCEPTED",
    )


def _new_order(world: Any, username: str) -> tuple[str, dict[str, Any], str, str]:
    from crm.tests.ledger.test_matrix import _account

    with schema_context(SCHEMA):
        account = _account(username)
    return (
        """mutation($account: ID!, $material: ID!) {
          orderCreate(account: $account,
                      lines: [{material: $material, quantity: "1", unitPrice: "10"}]) {
            errors { code } } }""",
        {"account": _scoped("Account", account.pk), "material": _material_gid()},
        "local_customer",
        "",
    )


def _new_invoice(world: Any, username: str) -> tuple[str, dict[str, Any], str, str]:
    from crm.tests.ledger.test_matrix import make_order

    order = make_order(world, "DELIVERED", username)
    return (
        "mutation($order: ID!) { invoiceCreate(order: $order) { errors { code } } }",
        {"order": _scoped("Order", order.pk)},
        "order",
        "DELIVERED",
    )


def _new_credit_note(world: Any, username: str) -> tuple[str, dict[str, Any], str, str]:
    from crm.tests.ledger.test_matrix import make_invoice

    invoice = make_invoice(world, "ISSUED", username)
    return (
        """mutation($invoice: ID!) {
          creditNoteCreate(invoice: $invoice, amount: "1", creditReason: "Kulanz") {
            errors { code } } }""",
        {"invoice": _scoped("Invoice", invoice.pk)},
        "invoice",
        "ISSUED",
    )


def _new_payment(world: Any, username: str) -> tuple[str, dict[str, Any], str, str]:
    from crm.tests.ledger.test_matrix import _account

    with schema_context(SCHEMA):
        account = _account(username)
    return (
        """mutation($payer: ID!) {
          paymentRecord(payer: $payer, amount: "10") { errors { code } } }""",
        {"payer": _scoped("Account", account.pk)},
        "local_customer",
        "",
    )


CREATIONS = (
    Creation("quote", _new_quote, (), True, "quotes.Quote"),
    Creation("contract", _new_contract, (), True, "contracts.Contract"),
    Creation("order", _new_order, ("account", "lines", "order_date"), False, "ledger.Order"),
    Creation("invoice", _new_invoice, ("order", "lines"), False, "ledger.Invoice"),
    Creation(
        "credit_note",
        _new_credit_note,
        ("invoice", "amount", "reason"),
        False,
        "ledger.CreditNote",
    ),
    Creation("payment", _new_payment, ("payer", "amount", "received_on"), False, "ledger.Payment"),
)


def _initial_stage(object_type: str) -> str:
    from crm.platform.permissions.registry import object_type as registered

    return registered(object_type).initial_stage


@pytest.mark.parametrize(
    ("creation", "role"),
    [
        pytest.param(creation, role, id=f"{creation.object_type}-{role}")
        for creation in CREATIONS
        for role in ROLES
    ],
)
def test_creating_each_kind_of_document(world, graphql, settings, creation, role):
    from django.apps import apps

    settings.REGION = "eu"
    username = member(role)
    document, variables, parent_type, parent_stage = creation.prepare(world, username)
    on_type = expected(
        creation.object_type,
        creation.fields,
        role,
        _initial_stage(creation.object_type),
        on_type=True,
    )
    may_create = Action.CREATE in on_type.actions and all(
        on_type.mode(name) == "write" for name in creation.fields
    )
    sees_parent = Action.VIEW in expected(parent_type, (), role, parent_stage, owned=True).actions
    model = apps.get_model(creation.model)
    with schema_context(SCHEMA):
        count = model.objects.count()
    with rolled_back():
        codes = [
            e["code"]
            for e in payload_of(graphql(document, variables, bu="acme.de", as_=username))["errors"]
        ]
        refusals = [
            (not sees_parent, "NOT_FOUND"),
            (not may_create, "PERMISSION_DENIED"),
        ]
        if not creation.parent_first:
            refusals.reverse()
        wanted = next((code for refused, code in refusals if refused), None)
        assert codes == ([wanted] if wanted else [])
        with schema_context(SCHEMA):
            assert model.objects.count() == count + (0 if codes else 1)


# -- approvals, tax rates, approval flows -------------------------------------------------------

APPROVALS = """{ myApprovals(first: 10) { edges { node {
  id status comment amountGroup { amount } discount permissions { actions } } } } }"""
DECIDE = """mutation($id: ID!) {
  approvalDecide(id: $id, approve: true, comment: "passt") { errors { code } } }"""


def _pending_approval(world: Any, role: str) -> Any:
    """A contract of another person of the BU, waiting for one step that `role` decides."""
    from crm.tenants.contracts.models import ApprovalRequest, ApprovalTask

    contract = _contract(world, "in_approval", OTHER)
    with schema_context(SCHEMA):
        request = ApprovalRequest.objects.create(
            contract=contract,
            amount_group=Decimal("9000"),
            group_currency="CNY",
            discount=Decimal("0"),
        )
        return ApprovalTask.objects.create(
            request=request,
            contract=contract,
            position=1,
            name=role,
            approver_role=role,
            status="PENDING",
        )


@pytest.mark.parametrize("role", ROLES)
def test_approvals_per_role(world, graphql, settings, role):
    """Who lists the approvals waiting for their role, reads them, and decides one."""
    from crm.tenants.contracts.models import ApprovalTask, Contract

    settings.REGION = "eu"
    username = member(role)
    task = _pending_approval(world, role)
    fields = ("status", "comment", "amount_group", "discount")
    want = expected("approval", fields, role, "")
    listed = graphql(APPROVALS, bu="acme.de", as_=username)
    edges = listed.data["myApprovals"]["edges"]
    if Action.VIEW not in want.actions:
        assert edges == []
    else:
        (edge,) = edges
        node = edge["node"]
        assert node["status"] == "PENDING"
        hidden = {e["path"][-1] for e in listed.errors if e["path"][-1] in node}
        assert hidden == {
            name
            for name, field in (
                ("status", "status"),
                ("comment", "comment"),
                ("amountGroup", "amount_group"),
                ("discount", "discount"),
            )
            if want.mode(field) == "hidden"
        }
    gid = to_global_id("Approval", task.pk)
    with rolled_back():
        codes = [
            e["code"]
            for e in payload_of(graphql(DECIDE, {"id": gid}, bu="acme.de", as_=username))["errors"]
        ]
        with schema_context(SCHEMA):
            after = ApprovalTask.objects.get(pk=task.pk)
            contract = Contract.objects.get(pk=task.contract_id)
        if Action.VIEW not in want.actions:
            assert codes == ["NOT_FOUND"]
        elif Action.APPROVE not in want.actions:
            assert codes == ["PERMISSION_DENIED"]
        else:
            assert codes == []
        if codes:
            assert (after.status, contract.status) == ("PENDING", "in_approval")
        else:
            assert (after.status, after.comment, contract.status) == (
                "APPROVED",
                "passt",
                "approved",
            )


TAX_RATES = "{ taxRates { code rate } }"
SAVE_TAX_RATE = """mutation {
  taxRateSave(code: "mx-reduced", name: "Matrix", rate: "5", validFrom: "2020-01-01") {
    errors { code } } }"""
FLOWS = "{ approvalFlows { code } }"
SAVE_FLOW = """mutation {
  approvalFlowSave(code: "mx-flow", name: "Matrix", mode: SEQUENTIAL,
                   steps: [{role: "finance"}]) { errors { code } } }"""


@pytest.mark.parametrize("role", ROLES)
def test_tax_rates_and_approval_flows_per_role(world, graphql, settings, role):
    """The BU's configuration of quote to cash: who reads it and who changes it."""
    from crm.tenants.contracts.models import ApprovalFlow
    from crm.tenants.quotes.models import TaxRate
    from crm.tests.quotes.helpers import standard_taxes

    settings.REGION = "eu"
    username = member(role)
    standard_taxes("de")

    rates = expected("tax_rate", ("code", "rate"), role, "", on_type=True)
    listed = graphql(TAX_RATES, bu="acme.de", as_=username)
    assert listed.errors == []
    assert bool(listed.data["taxRates"]) == (Action.VIEW in rates.actions)

    flows = expected("approval_flow", ("code",), role, "", on_type=True)
    read = graphql(FLOWS, bu="acme.de", as_=username)
    if Action.VIEW in flows.actions:
        assert read.errors == []
    else:
        assert read.codes == ["PERMISSION_DENIED"]

    for document, object_type, model in (
        (SAVE_TAX_RATE, "tax_rate", TaxRate),
        (SAVE_FLOW, "approval_flow", ApprovalFlow),
    ):
        want = expected(object_type, (), role, "", on_type=True)
        with schema_context(SCHEMA):
            count = model.objects.count()
        with rolled_back():
            codes = [
                e["code"]
                for e in payload_of(graphql(document, bu="acme.de", as_=username))["errors"]
            ]
            assert codes == ([] if Action.CREATE in want.actions else ["PERMISSION_DENIED"])
            with schema_context(SCHEMA):
                assert model.objects.count() == count + (0 if codes else 1)


def test_every_step_and_creation_is_both_allowed_and_refused_somewhere():
    """The matrix above is not vacuous: each case has roles on both sides of the answer."""
    for step in STEPS:
        allowed = {
            role
            for role in ROLES
            if step.action
            in expected(step.object_type, (), role, step.stage, owned=step.owned).actions
        }
        assert allowed, step.name
        assert allowed != set(ROLES), step.name
    creators = {
        creation.object_type: {
            role
            for role in ROLES
            if Action.CREATE
            in expected(
                creation.object_type,
                creation.fields,
                role,
                _initial_stage(creation.object_type),
                on_type=True,
            ).actions
        }
        for creation in CREATIONS
    }
    assert creators == {
        "quote": {"bu_manager", "front_sales"},
        "contract": {"bu_manager", "front_sales"},
        "order": {"bu_manager", "back_support", "integration"},
        "invoice": {"finance"},
        "credit_note": {"finance"},
        "payment": {"finance", "integration"},
    }
