"""orderFromContract: the order of a signed contract carries its quote lines as priced (net,
tax code and rate, gross to the cent, in the contract's currency); an unsigned, cancelled or
other BU's contract makes no order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.tenants.contracts import services as contracts
from crm.tenants.ledger.models import Order
from crm.tests.contracts.helpers import make_contract
from crm.tests.ledger.helpers import errors_of
from crm.tests.opportunities.helpers import access_of
from crm.tests.quotes.helpers import schema

FROM = """mutation($contract: ID!) { orderFromContract(contract: $contract) {
  errors { field code }
  order { number contract { number } total { amount currency }
    lines { materialCode quantity amount { amount } } } } }"""
MANAGER = "acme.de.manager"


@pytest.fixture
def eu(settings: Any, world: Any) -> Any:
    settings.REGION = "eu"
    return world


def signed(**fields: Any) -> Any:
    contract = make_contract(**fields)
    access = access_of(MANAGER, "de")
    with schema_context(schema()):
        contract = contracts.submit(access, contract)  # no flow in the BU: approved at once
        return contracts.sign(access, contract)


def orders() -> int:
    with schema_context(schema()):
        return Order.objects.count()


def test_the_order_of_a_signed_contract_has_its_lines_and_totals_exactly(eu, graphql):
    contract = signed(codes=["M-001", "M-031"], quantities=["7", "3"], discounts=None)
    reply = graphql(
        FROM, {"contract": to_global_id("Contract", contract.pk)}, bu="acme.de", as_=MANAGER
    )
    payload = reply.data["orderFromContract"]
    assert payload["errors"] == []
    order = payload["order"]
    assert order["contract"]["number"] == contract.number
    assert order["total"] == {
        "amount": str(contract.total_amount.quantize(Decimal("0.01"))),
        "currency": "EUR",
    }
    with schema_context(schema()):
        nets = [line.net_amount for line in contract.quote.lines.order_by("position")]
    assert [Decimal(line["amount"]["amount"]) for line in order["lines"]] == nets
    assert [line["materialCode"] for line in order["lines"]] == ["M-001", "M-031"]


def test_no_order_from_an_unsigned_cancelled_malformed_or_other_bus_contract(eu, graphql):
    unsigned = make_contract()
    cancelled = make_contract()
    with schema_context(schema()):
        contracts.cancel(access_of(MANAGER, "de"), cancelled, comment="abgesagt")
    cases = [
        (to_global_id("Contract", unsigned.pk), ("CONTRACT_NOT_SIGNED", "contract")),
        (to_global_id("Contract", cancelled.pk), ("RECORD_CLOSED", None)),
        ("nonsense", ("MALFORMED_ID", "contract")),
        (to_global_id("Contract", 999999), ("NOT_FOUND", "contract")),
    ]
    for contract_id, expected in cases:
        reply = graphql(FROM, {"contract": contract_id}, bu="acme.de", as_=MANAGER)
        assert errors_of(reply) == [expected], contract_id
    assert orders() == 0
