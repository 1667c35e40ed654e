"""Contracts for tests: an accepted quote's contract, approval flows, the people who approve.

contract = make_contract()                       # acme.de, in negotiation, from M-001 × 1
flow("small", "PARALLEL", ["bu_manager", "finance"])
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django_tenants.utils import schema_context

from crm.tenants.contracts import approvals, services
from crm.tenants.contracts.models import ApprovalFlow, Contract
from crm.tenants.quotes import services as quotes
from crm.tests.opportunities.helpers import access_of
from crm.tests.quotes.helpers import make_quote, schema


def make_contract(
    *,
    bu: str = "de",
    as_: str = "acme.de.sales",
    codes: list[str] | None = None,
    quantities: list[str] | None = None,
    discounts: list[str] | None = None,
    payment_terms: Any = None,
) -> Contract:
    """A contract in negotiation from an accepted quote of a fresh deal owned by `as_` (whose
    discounts must be within `as_`'s limit)."""
    quote = make_quote(bu=bu, as_=as_, codes=codes, quantities=quantities, discounts=discounts)
    access = access_of(as_, bu)
    with schema_context(schema(bu)):
        quote = quotes.send(access, quote)
        quote = quotes.accept(access, quote)
        return services.create_contract(access, quote, payment_terms=payment_terms)


def flow(
    code: str,
    mode: str,
    steps: list[str | int | tuple[str | int, dict[str, Any]]],
    *,
    bu: str = "de",
    position: int = 0,
    min_amount_group: str | None = None,
    min_discount: str | None = None,
) -> ApprovalFlow:
    """An approval flow of `bu` whose steps are role codes or user ids (with step thresholds)."""
    inputs = []
    for step in steps:
        who, extra = step if isinstance(step, tuple) else (step, {})
        inputs.append(
            approvals.StepInput(
                name=str(who),
                approver_role=who if isinstance(who, str) else "",
                approver_user_id=who if isinstance(who, int) else None,
                min_amount_group=Decimal(extra["amount"]) if "amount" in extra else None,
                min_discount=Decimal(extra["discount"]) if "discount" in extra else None,
            )
        )
    with schema_context(schema(bu)):
        return approvals.flow_save(
            access_of("acme.de.manager" if bu == "de" else "acme.jp.sales", bu),
            code=code,
            name=code,
            mode=mode,
            steps=inputs,
            position=position,
            min_amount_group=Decimal(min_amount_group) if min_amount_group else None,
            min_discount=Decimal(min_discount) if min_discount else None,
        )
