"""The default policy of quotes and contracts, role × stage × ownership, through the GraphQL API.

As `test_sales_matrix.py` does for the BU's sales records (and with its checks): every default
role, for a quote in each status and a contract in each stage, owned by the tested user or by
another person of the BU, reads every governed field (readable or hidden as the policy's data
says), and writes a few representative fields (refused with the field, or RECORD_CLOSED once
the record left its editable stage; nothing changes on a refusal). Quote lines are checked per
role and quote status: back-end support edits them, and only HQ, the BU's managers and
finance see their cost and margin (test_q2c_matrix.py checks the stage actions, creation,
approvals and the policy's margin rules).
"""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.permissions.defaults import DEFAULT_ROLES
from crm.platform.permissions.vocabulary import Action
from crm.tests.permissions.matrix import expected, member, rolled_back
from crm.tests.permissions.test_sales_matrix import (
    OTHER,
    SCHEMA,
    SalesAdapter,
    check_reads,
    check_write,
    refusal,
)

QUOTE_STAGES = ("DRAFT", "AWAITING_APPROVAL", "SENT", "ACCEPTED", "REJECTED", "EXPIRED")
CONTRACT_STAGES = ("negotiation", "in_approval", "approved", "signed", "cancelled")


def _quote(world: Any, stage: str, owner: str) -> Any:
    from crm.tenants.quotes.models import Quote
    from crm.tests.leads.helpers import user_id
    from crm.tests.quotes.helpers import make_quote

    quote = make_quote()  # made by acme.de.sales, then given to its owner, in its stage
    with schema_context(SCHEMA):
        Quote.objects.filter(pk=quote.pk).update(owner_id=user_id(owner), status=stage)
        return Quote.objects.get(pk=quote.pk)


UPDATE_QUOTE = """mutation($id: ID!, $until: Date, $note: String, $discount: Decimal) {
  quoteUpdate(id: $id, validUntil: $until, note: $note, headerDiscount: $discount) {
    errors { field code message } quote { id } } }"""

QUOTE = SalesAdapter(
    object_type="quote",
    graphql_type="Quote",
    root="quote",
    readable={
        "number": "number",
        "version": "version",
        "status": "status",
        "opportunity": "opportunity",
        "account": "account { id }",
        "owner": "owner { username }",
        "currency": "currency",
        "language": "language",
        "quote_date": "quoteDate",
        "valid_until": "validUntil",
        "header_discount": "headerDiscount",
        "net_total": "netTotal { amount }",
        "tax_total": "taxTotal { amount }",
        "gross_total": "grossTotal { amount }",
        "margin": "margin { amount }",
        "max_discount": "maxDiscount",
        "approved_discount": "approvedDiscount",
        "lines": "lines { position }",
        "approvals": "approvals { kind }",
        "versions": "versions { version }",
        "note": "note",
        "document": "document { url }",
    },
    filled=("number", "version", "status", "currency", "net_total", "lines", "document"),
    writes={
        "valid_until": (UPDATE_QUOTE, lambda i: {"id": i, "until": "2099-12-31"}),
        "note": (UPDATE_QUOTE, lambda i: {"id": i, "note": "Lieferung ab Werk"}),
        "header_discount": (UPDATE_QUOTE, lambda i: {"id": i, "discount": "0"}),
    },
    make=_quote,
    stages=QUOTE_STAGES,
    closed=QUOTE_STAGES[1:],
)


def _contract(world: Any, stage: str, owner: str) -> Any:
    from crm.tenants.contracts.models import Contract
    from crm.tests.contracts.helpers import make_contract
    from crm.tests.leads.helpers import user_id

    contract = make_contract()
    with schema_context(SCHEMA):
        Contract.objects.filter(pk=contract.pk).update(owner_id=user_id(owner), status=stage)
        return Contract.objects.get(pk=contract.pk)


UPDATE_CONTRACT = """mutation($id: ID!, $terms: String, $shares: [PaymentShareInput!]) {
  contractUpdate(id: $id, terms: $terms, paymentTerms: $shares) {
    errors { field code message } contract { id } } }"""

CONTRACT = SalesAdapter(
    object_type="contract",
    graphql_type="Contract",
    root="contract",
    readable={
        "number": "number",
        "status": "status",
        "quote": "quote",
        "opportunity": "opportunity",
        "account": "account { id }",
        "owner": "owner { username }",
        "currency": "currency",
        "net_total": "netTotal { amount }",
        "tax_total": "taxTotal { amount }",
        "total": "total { amount }",
        "discount": "discount",
        "amount_group": "amountGroup { amount }",
        "terms": "terms",
        "payment_terms": "paymentTerms { percent days }",
        "payment_plan": "paymentPlan { position }",
        "approvals": "approvals { status }",
        "events": "events { kind }",
        "signed_on": "signedOn",
        "signed_by": "signedBy { username }",
    },
    filled=("number", "status", "currency", "total", "payment_terms", "quote"),
    writes={
        "terms": (UPDATE_CONTRACT, lambda i: {"id": i, "terms": "Gerichtsstand München"}),
        "payment_terms": (
            UPDATE_CONTRACT,
            lambda i: {
                "id": i,
                "shares": [{"percent": "50", "days": 0}, {"percent": "50", "days": 30}],
            },
        ),
    },
    make=_contract,
    stages=CONTRACT_STAGES,
    closed=CONTRACT_STAGES[1:],
)

QUOTE_ADAPTERS = (QUOTE, CONTRACT)

CASES = [
    pytest.param(
        adapter,
        role,
        stage,
        owned,
        id=f"{adapter.object_type}-{role}-{stage}-{'own' if owned else 'other'}",
    )
    for adapter in QUOTE_ADAPTERS
    for role in DEFAULT_ROLES
    for stage in adapter.stages
    for owned in (True, False)
]


@pytest.mark.parametrize(("adapter", "role", "stage", "owned"), CASES)
def test_quote_and_contract_policy_through_the_api(
    world, graphql, settings, adapter, role, stage, owned
):
    settings.REGION = "eu"
    username = member(role)
    record = adapter.make(world, stage, username if owned else OTHER)
    gid = to_global_id(adapter.graphql_type, record.pk)
    want = expected(adapter.object_type, tuple(adapter.readable), role, stage, owned=owned)

    def ask(query: str, variables: dict[str, Any] | None = None) -> Any:
        return graphql(query, variables, bu="acme.de", as_=username)

    check_reads(adapter, ask(adapter.one, {"id": gid}), want, refusal(adapter, role))
    for field in adapter.writes:
        check_write(adapter, ask, gid, record, stage, field, want)


LINE_FIELDS = {
    "material": "material { code }",
    "quantity": "quantity",
    "unit_price": "unitPrice { amount }",
    "price_source": "priceSource { priceList }",
    "discount": "discount",
    "net": "net { amount }",
    "tax": "tax { code }",
    "gross": "gross { amount }",
    "unit_cost": "unitCost { amount }",
    "margin": "margin { amount }",
}
LINES = f"query($id: ID!) {{ quote(id: $id) {{ lines {{ {' '.join(LINE_FIELDS.values())} }} }} }}"
SET_LINES = """mutation($id: ID!, $material: ID!) {
  quoteLinesSet(id: $id, lines: [{material: $material, quantity: "2"}]) {
    errors { field code } quote { id } } }"""


@pytest.mark.parametrize(
    ("role", "stage"),
    [
        pytest.param(role, stage, id=f"{role}-{stage}")
        for role in DEFAULT_ROLES
        for stage in QUOTE_STAGES
    ],
)
def test_quote_lines_per_role_and_stage(world, graphql, settings, role, stage):
    """On a quote owned by the tested user, in each status: which line fields they read (the
    cost and margin only where the policy shows them), and whether they may replace the lines
    (the `quote_line` rules; only a draft's lines change)."""
    from crm.masterdata.models import Material
    from crm.tenants.quotes.models import QuoteLine

    settings.REGION = "eu"
    username = member(role)
    quote = _quote(world, stage, username)
    with schema_context(SCHEMA):
        QuoteLine.objects.filter(quote=quote).update(unit_cost=1, cost_amount=1, margin_amount=10)
        before = list(QuoteLine.objects.filter(quote=quote).values())
    on_quote = expected("quote", ("lines", "margin"), role, stage, owned=True)
    want = expected("quote_line", tuple(LINE_FIELDS), role, "")
    reply = graphql(LINES, {"id": to_global_id("Quote", quote.pk)}, bu="acme.de", as_=username)
    gid = to_global_id("Quote", quote.pk)
    if Action.VIEW not in on_quote.actions:
        assert reply.codes == ["NOT_FOUND"]
    else:
        assert on_quote.mode("lines") != "hidden"
        (line,) = reply.data["quote"]["lines"]
        forbidden = {
            error["path"][-1]
            for error in reply.errors
            if error["extensions"]["code"] == "FIELD_FORBIDDEN"
        }
        for field, selection in LINE_FIELDS.items():
            name = selection.split()[0]
            if want.mode(field) == "hidden":
                assert line[name] is None, field
                assert name in forbidden, field
            else:
                assert line[name] is not None, field
        # A line's margin shows where the quote's does (one gives away the other).
        assert want.mode("margin") == on_quote.mode("margin").replace("write", "read")
    material = to_global_id("Material", Material.objects.get(code="M-002").pk)
    with rolled_back():
        errors = graphql(
            SET_LINES, {"id": gid, "material": material}, bu="acme.de", as_=username
        ).data["quoteLinesSet"]["errors"]
        codes = [e["code"] for e in errors]
        if Action.VIEW not in on_quote.actions:
            assert codes == ["NOT_FOUND"]
        elif stage != "DRAFT":
            assert codes == ["RECORD_CLOSED"]
        elif want.may_write("material") and want.may_write("quantity"):
            assert codes == []
        else:
            assert codes == ["PERMISSION_DENIED"]
        if codes:
            with schema_context(SCHEMA):
                assert list(QuoteLine.objects.filter(quote=quote).values()) == before
