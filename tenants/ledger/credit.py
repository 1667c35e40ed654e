"""The credit-control hook of order confirmation.

`order_confirm` calls `check_credit(order, access=...)` before it confirms, inside its
transaction with the order locked. Credit control (the customer's group-wide exposure through
the cells' `receivables` aggregate, against the golden customer's credit limit) plugs in here
with `register_credit_check`: a check raises a `CrmError` (e.g. CREDIT_LIMIT_EXCEEDED) to
block the confirmation, and nothing is confirmed. With no check registered, every order passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from crm.platform.core.errors import ErrorCode

if TYPE_CHECKING:
    from crm.platform.permissions.engine import Access
    from crm.tenants.ledger.models import Order

# The codes a registered check may raise: `orderConfirm` declares them in its error type, so
# they reach the client as typed errors (credit control adds CREDIT_LIMIT_EXCEEDED here).
CREDIT_CHECK_ERROR_CODES: tuple[ErrorCode, ...] = ()

# A check is given the order being confirmed (with its lines and totals) and the caller.
CreditCheck = Callable[["Order", "Access"], None]

_checks: list[CreditCheck] = []


def register_credit_check(check: CreditCheck) -> CreditCheck:
    """Add a check run on every confirmation (in registration order); returns it."""
    if check not in _checks:
        _checks.append(check)
    return check


def unregister_credit_check(check: CreditCheck) -> None:
    if check in _checks:
        _checks.remove(check)


def check_credit(order: Order, *, access: Access) -> None:
    """Raise a CrmError when the order may not be confirmed for credit reasons."""
    for check in list(_checks):
        check(order, access)
