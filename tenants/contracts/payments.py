"""Payment terms and the payment plan a signed contract gets.

Payment terms are shares of the total, each due some days after signing, e.g.
`[{"percent": "30", "days": 0}, {"percent": "60", "days": 60}, {"percent": "10", "days": 90}]`;
the shares are positive and add up to exactly 100.

The plan's amounts add up **exactly** to the contract's total, in its currency's minor units:
every instalment but the last is its share of the total rounded by the one rule
(`round_money`: minor units, half up), and the last takes the rest (the rounding remainder).
For JPY (no minor unit) every instalment is whole yen. Should the rounded-up shares ever exceed
the total (only for totals of a few minor units split many ways, e.g. 0.05 EUR in 30/30/30/10),
the missing units are taken back from the instalments before the last, latest first, so no
instalment is ever negative and the sum still holds.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from moneyed import Money

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import round_money
from crm.tenants.contracts.models import Contract, PaymentInstalment

MAX_INSTALMENTS = 24
MAX_DAYS = 3660
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Share:
    percent: Decimal
    days: int


def _bad(field: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=reason)


def parse_terms(value: Any, *, field: str = "paymentTerms") -> list[Share]:
    """The shares of payment terms given as [{"percent", "days"}], or INVALID_ARGUMENT."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_INSTALMENTS:
        raise _bad(field, f"a list of 1 to {MAX_INSTALMENTS} shares")
    shares: list[Share] = []
    for index, entry in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"percent", "days"}:
            raise _bad(where, "an object with percent and days")
        try:
            percent = Decimal(str(entry["percent"]))
        except (InvalidOperation, ValueError):
            raise _bad(f"{where}.percent", "a number") from None
        if not (percent.is_finite() and 0 < percent <= HUNDRED) or percent != round(percent, 2):
            raise _bad(f"{where}.percent", "above 0, at most 100, at most 2 decimal places")
        days = entry["days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
            raise _bad(f"{where}.days", f"whole days from 0 to {MAX_DAYS}")
        if shares and days < shares[-1].days:
            raise _bad(f"{where}.days", "not earlier than the share before")
        shares.append(Share(percent=percent, days=days))
    if sum(share.percent for share in shares) != HUNDRED:
        raise _bad(field, "the shares must add up to 100")
    return shares


def terms_json(shares: Sequence[Share]) -> list[dict[str, Any]]:
    return [
        {"percent": format(share.percent.normalize(), "f"), "days": share.days} for share in shares
    ]


def split(total: Money, percents: Sequence[Decimal]) -> list[Money]:
    """`total` in shares of `percents` (adding up to 100) that add up to `total` exactly."""
    currency = total.currency
    amounts = [round_money(total * (p / HUNDRED)).amount for p in percents[:-1]]
    last = total.amount - sum(amounts, Decimal(0))
    index = len(amounts) - 1
    while last < 0 and index >= 0:  # only for tiny totals: take units back, latest first
        taken = min(-last, amounts[index])
        amounts[index] -= taken
        last += taken
        index -= 1
    amounts.append(last)
    return [Money(amount, currency) for amount in amounts]


def plan_for(
    total: Money, shares: Sequence[Share], signed_on: datetime.date
) -> list[tuple[Share, datetime.date, Money]]:
    """(share, due date, amount) of each instalment."""
    if total.amount != round_money(total).amount:
        raise _bad("total", f"not in {total.currency.code}'s minor units")
    amounts = split(total, [share.percent for share in shares])
    return [
        (share, signed_on + datetime.timedelta(days=share.days), amount)
        for share, amount in zip(shares, amounts, strict=True)
    ]


def create_payment_plan(contract: Contract) -> tuple[list[PaymentInstalment], bool]:
    """The signed contract's instalments: made now from its payment terms, or the ones it has
    (the second answer says whether they were made now). Idempotent."""
    existing = list(PaymentInstalment.objects.filter(contract=contract).order_by("position"))
    if existing:
        return existing, False
    if contract.signed_on is None:
        raise _bad("contract", "a payment plan is made when the contract is signed")
    shares = parse_terms(contract.payment_terms)
    instalments = [
        PaymentInstalment(
            contract=contract,
            position=position,
            percent=share.percent,
            due_date=due,
            amount=amount.amount,
            currency=contract.currency,
        )
        for position, (share, due, amount) in enumerate(
            plan_for(contract.total, shares, contract.signed_on), start=1
        )
    ]
    PaymentInstalment.objects.bulk_create(instalments)
    return instalments, True
