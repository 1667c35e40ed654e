"""The default policy of credit holds and releases, role × stage, through the GraphQL API, as
tests/ledger/test_matrix.py does for the ledger's documents.

Every default role (in the German BU, or at group level for HQ roles) is asked to read a hold
in each stage and a release (each governed field readable or hidden as the oracle in
tests/permissions/matrix.py computes from the policy's data), to release a waiting hold (only
with `approve` on it; refused releases change nothing), and for a customer's exposure (with the
holds' view and the customer's credit limit readable).
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.permissions.defaults import DEFAULT_ROLES
from crm.platform.permissions.vocabulary import Action
from crm.tenants.creditcontrol.models import CreditHold, CreditRelease, HoldReason
from crm.tenants.ledger.models import Order
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tests.creditcontrol.helpers import one_cell
from crm.tests.permissions.matrix import expected, member, payload_of, rolled_back
from crm.tests.permissions.test_sales_matrix import SCHEMA, SalesAdapter, check_reads, refusal
from crm.tests.relationships.helpers import business_unit, golden

_numbers = itertools.count(1)
FIGURES = {
    "customer": "customer { code }",
    "amount": "amount { amount }",
    "exposure": "exposure { amount }",
    "credit_limit": "creditLimit { amount }",
    "missing_cells": "missingCells { region }",
}


def _figures(customer_id: int, code: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "customer_code": code,
        "currency": "CNY",
        "amount": Decimal("781.25"),
        "exposure": Decimal("500.00"),
        "credit_limit": Decimal("1000.00"),
        "missing_cells": [],
    }


def _order_and_customer() -> tuple[Order, int, str]:
    number = next(_numbers)
    unit = business_unit("acme.de")
    customer = golden(unit.group_id, f"CCMX-{number}", f"Matrix Kredit {number} AG")
    day = unit.today()
    account = LocalCustomer.objects.create(customer_id=customer.pk, local_code=f"CCMX-{number}")
    order = Order.objects.create(
        number=f"SO-CCMX-{number}",
        account=account,
        order_date=day,
        total=Decimal("100.00"),
        net_total=Decimal("100.00"),
        total_group=Decimal("781.25"),
        currency="EUR",
        group_currency="CNY",
        fx_date=day,
        fx_rate=Decimal("7.8125"),
        fx_rate_date=day,
        fx_rate_type="SPOT",
    )
    return order, customer.pk, customer.code


def make_hold(world: Any, stage: str, _owner: str) -> CreditHold:
    with schema_context(SCHEMA):
        order, customer_id, code = _order_and_customer()
        hold = CreditHold.objects.create(
            order=order,
            status=stage,
            reason=HoldReason.LIMIT_EXCEEDED,
            blocked_by_label="acme.de.manager",
            **_figures(customer_id, code),
        )
        if stage == "RELEASED":
            CreditRelease.objects.create(
                hold=hold,
                order=order,
                comment="ok",
                released_by_label="acme.de.finance",
                **_figures(customer_id, code),
            )
        return hold


def make_release(world: Any, _stage: str, owner: str) -> CreditRelease:
    hold = make_hold(world, "RELEASED", owner)
    with schema_context(SCHEMA):
        return CreditRelease.objects.get(hold=hold)


HOLD = SalesAdapter(
    object_type="credit_hold",
    graphql_type="CreditHold",
    root="creditHold",
    readable={
        "order": "order { number }",
        "status": "status",
        "reason": "reason",
        **FIGURES,
        "attempts": "attempts",
        "blocked_by": "blockedBy",
        "release": "release { id }",
    },
    filled=("order", "status", "reason", "customer", "amount", "attempts"),
    writes={},
    make=make_hold,
    stages=("WAITING", "RELEASED", "CLEARED"),
)

RELEASE = SalesAdapter(
    object_type="credit_release",
    graphql_type="CreditRelease",
    root="creditRelease",
    readable={
        "order": "order { number }",
        "hold": "hold { id }",
        **FIGURES,
        "comment": "comment",
        "released_by": "releasedBy",
        "used_at": "usedAt",
    },
    filled=("order", "customer", "amount", "comment", "released_by"),
    writes={},
    make=make_release,
)

RELEASE_ORDER = """mutation($order: ID!) { orderCreditRelease(order: $order, comment: "ok") {
  errors { field code } release { id } } }"""
EXPOSURE = """query($customer: ID!) { customerCreditExposure(customer: $customer) {
  complete exposure { amount } } }"""

CASES = [
    pytest.param(adapter, role, stage, id=f"{adapter.object_type}-{role}-{stage or 'any'}")
    for adapter in (HOLD, RELEASE)
    for role in DEFAULT_ROLES
    for stage in adapter.stages
]


def _release_order(ask: Any, role: str, hold: CreditHold) -> None:
    """Only who may approve the hold releases it; a refusal changes nothing."""
    want = expected("credit_hold", (), role, "WAITING")
    sees_order = Action.VIEW in expected("order", (), role, "OPEN", owned=False).actions
    with schema_context(SCHEMA):
        before = model_to_dict(CreditHold.objects.get(pk=hold.pk))
    order_id = to_global_id("Order", f"{business_unit('acme.de').pk}.{hold.order_id}")
    with rolled_back():
        errors = payload_of(ask(RELEASE_ORDER, {"order": order_id}))["errors"]
        codes = [error["code"] for error in errors]
        with schema_context(SCHEMA):
            after = CreditHold.objects.get(pk=hold.pk)
            if Action.APPROVE in want.actions:
                assert codes == []
                assert after.status == "RELEASED"
                assert CreditRelease.objects.filter(hold_id=hold.pk).exists()
            else:
                assert codes == (["PERMISSION_DENIED"] if sees_order else ["NOT_FOUND"])
                assert model_to_dict(after) == before
                assert not CreditRelease.objects.filter(hold_id=hold.pk).exists()


def _exposure(ask: Any, role: str, customer_id: int) -> None:
    reply = ask(EXPOSURE, {"customer": to_global_id("Customer", customer_id)})
    views_holds = Action.VIEW in expected("credit_hold", (), role, "WAITING", on_type=True).actions
    customer = expected("customer", ("credit_limit",), role, "ACTIVE")
    if not views_holds:
        assert reply.codes == ["PERMISSION_DENIED"]
    elif Action.VIEW not in customer.actions:
        assert reply.codes == ["NOT_FOUND"]
    elif customer.mode("credit_limit") == "hidden":
        assert reply.codes == ["PERMISSION_DENIED"]
    else:
        assert reply.errors == []
        assert reply.data["customerCreditExposure"]["complete"] is True


@pytest.mark.parametrize(("adapter", "role", "stage"), CASES)
def test_credit_control_policy_through_the_api(world, graphql, adapter, role, stage):
    one_cell()  # the exposure's fan-out stays in this cell
    username = member(role)
    record = adapter.make(world, stage, username)
    unit = business_unit("acme.de")
    gid = to_global_id(adapter.graphql_type, f"{unit.pk}.{record.pk}")
    want = expected(adapter.object_type, tuple(adapter.readable), role, stage)

    def ask(query: str, variables: dict[str, Any] | None = None) -> Any:
        return graphql(query, variables, bu="acme.de", as_=username)

    check_reads(adapter, ask(adapter.one, {"id": gid}), want, refusal(adapter, role))
    if adapter is HOLD and stage == "WAITING":
        _release_order(ask, role, record)
    if adapter is RELEASE:
        _exposure(ask, role, record.customer_id)


def test_finance_releases_managers_and_hq_read():
    finance = expected("credit_hold", ("exposure",), "finance", "WAITING")
    assert Action.APPROVE in finance.actions
    assert Action.APPROVE not in expected("credit_hold", (), "finance", "RELEASED").actions
    manager = expected("credit_hold", ("exposure",), "bu_manager", "WAITING")
    assert manager.actions == frozenset({Action.VIEW, Action.EXPORT})
    assert manager.mode("exposure") == "read"
    assert expected("credit_release", (), "front_sales", "").actions == frozenset()
    assert Action.VIEW in expected("credit_release", (), "auditor", "").actions
