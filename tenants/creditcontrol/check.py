"""The credit check registered on the ledger's confirmation hook.

For the order being confirmed (locked, in its confirmation's transaction):

1. The golden customer of the order's account (a merged record's survivor). No credit limit
   set (null): credit control does not apply to this customer and the order passes. A limit of
   0 means "no credit": every order waits for finance.
2. An unused release of this order by finance covering the order's total in the group currency
   lets it pass, whatever the exposure and whether every cell answers; it is then marked used.
   If the order's total has grown beyond it, it does not cover it and the check runs again.
3. The customer's exposure from every cell (`exposure`), plus this order's total, against the
   limit. A cell that did not answer: CREDIT_CHECK_UNAVAILABLE naming the regions and why (fail
   safe: a partial figure is never taken for the whole). Over the limit: CREDIT_LIMIT_EXCEEDED
   with the figures. Exactly at the limit passes.

A refusal is a `CreditRefusedError` (a CrmError carrying the `CreditDecision`); the ledger rolls
the confirmation back and gives it to `holds.record_refusal`, which keeps the order waiting for
finance. A check that passes clears the order's waiting hold (the customer paid meanwhile, the
limit was raised) in the confirmation's own transaction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from moneyed import Money

from crm.masterdata.customers.models import Customer, CustomerStatus
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import round_money
from crm.platform.permissions.engine import Access
from crm.tenants.creditcontrol.exposure import credit_exposure
from crm.tenants.creditcontrol.models import CreditHold, CreditRelease, HoldReason, HoldStatus
from crm.tenants.ledger.models import Order
from crm.tenants.models import Group

MAX_MERGES = 10  # a chain of merged records longer than this is a data error


@dataclass(frozen=True)
class CreditDecision:
    """What a refusal was based on (kept with the hold it leaves)."""

    reason: HoldReason
    customer_id: int
    customer_code: str
    currency: str
    amount: Decimal
    exposure: Decimal | None
    credit_limit: Decimal | None
    missing_cells: list[dict[str, str]] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "customer_code": self.customer_code,
            "currency": self.currency,
            "amount": self.amount,
            "exposure": self.exposure,
            "credit_limit": self.credit_limit,
            "missing_cells": self.missing_cells,
        }


class CreditRefusedError(CrmError):
    """A confirmation credit control refused, with the decision behind it."""

    def __init__(self, code: ErrorCode, decision: CreditDecision, **params: Any) -> None:
        super().__init__(code, **params)
        self.decision = decision


def golden_customer(customer_id: int, group: Group) -> Customer | None:
    """The golden customer of an account (the survivor if it was merged), in the group."""
    customer = Customer.objects.filter(pk=customer_id, group_id=group.pk).first()
    for _step in range(MAX_MERGES):
        if customer is None or customer.merged_into_id is None:
            break
        customer = Customer.objects.filter(pk=customer.merged_into_id, group_id=group.pk).first()
    if customer is not None and customer.status == CustomerStatus.MERGED:
        return None
    return customer


def amount_text(amount: Decimal, currency: str) -> str:
    """An amount at its currency's minor units, as a plain decimal (for messages)."""
    return format(round_money(Money(amount, currency)).amount, "f")


def _cells_text(missing: list[dict[str, str]]) -> str:
    return ", ".join(
        f"{cell['region']} ({cell['status']}{': ' + cell['detail'] if cell['detail'] else ''})"
        for cell in missing
    )


def clear_waiting_hold(order: Order) -> None:
    """The order passed the check: a hold still waiting for finance is no longer needed."""
    CreditHold.objects.filter(order_id=order.pk, status=HoldStatus.WAITING).update(
        status=HoldStatus.CLEARED, cleared_at=timezone.now()
    )


def usable_release(order: Order) -> CreditRelease | None:
    """An unused release of the order by finance that covers its total now."""
    return (
        CreditRelease.objects.select_for_update()
        .filter(
            order_id=order.pk,
            used_at__isnull=True,
            currency=order.group_currency,
            amount__gte=order.total_group,
        )
        .order_by("-released_at", "-id")
        .first()
    )


def credit_check(order: Order, access: Access) -> None:
    """The check on the ledger's hook (see the module docstring)."""
    group = access.business_unit.group
    account = order.account
    customer = golden_customer(account.customer_id, group)
    currency = str(group.currency)
    if customer is None:
        decision = CreditDecision(
            reason=HoldReason.CHECK_UNAVAILABLE,
            customer_id=account.customer_id,
            customer_code="",
            currency=currency,
            amount=order.total_group,
            exposure=None,
            credit_limit=None,
        )
        raise CreditRefusedError(
            ErrorCode.CREDIT_CHECK_UNAVAILABLE,
            decision,
            order=order.number,
            reason=_("the account's golden customer is not known in this cell"),
            regions="",
        )
    if customer.credit_limit is None:
        clear_waiting_hold(order)
        return
    if order.group_currency != currency:  # the limit and the order's amount must be comparable
        raise CreditRefusedError(
            ErrorCode.CREDIT_CHECK_UNAVAILABLE,
            CreditDecision(
                reason=HoldReason.CHECK_UNAVAILABLE,
                customer_id=customer.pk,
                customer_code=customer.code,
                currency=currency,
                amount=order.total_group,
                exposure=None,
                credit_limit=customer.credit_limit,
            ),
            order=order.number,
            reason=_("the order's group amount is in %(found)s, the credit limit in %(limit)s")
            % {"found": order.group_currency, "limit": currency},
            regions="",
        )
    release = usable_release(order)
    if release is not None:
        release.used_at = timezone.now()
        release.save(update_fields=["used_at"])
        return
    exposure = credit_exposure(customer)
    decision = CreditDecision(
        reason=HoldReason.LIMIT_EXCEEDED,
        customer_id=customer.pk,
        customer_code=customer.code,
        currency=currency,
        amount=order.total_group,
        exposure=exposure.total,
        credit_limit=customer.credit_limit,
        missing_cells=exposure.missing_cells(),
    )
    if not exposure.complete:
        unavailable = dataclasses.replace(decision, reason=HoldReason.CHECK_UNAVAILABLE)
        cells = _cells_text(decision.missing_cells)
        raise CreditRefusedError(
            ErrorCode.CREDIT_CHECK_UNAVAILABLE,
            unavailable,
            order=order.number,
            reason=_("no answer from %(cells)s") % {"cells": cells},
            regions=",".join(exposure.missing_regions),
        )
    if exposure.total + order.total_group > customer.credit_limit:
        raise CreditRefusedError(
            ErrorCode.CREDIT_LIMIT_EXCEEDED,
            decision,
            order=order.number,
            customer=customer.code,
            exposure=amount_text(exposure.total, currency),
            amount=amount_text(order.total_group, currency),
            limit=amount_text(customer.credit_limit, currency),
            currency=currency,
        )
    clear_waiting_hold(order)
