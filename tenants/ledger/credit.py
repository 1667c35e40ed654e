"""The credit-control hook of order confirmation.

`order_confirm` calls `check_credit(order, access=...)` before it confirms, inside its
transaction with the order locked. Credit control (the customer's group-wide exposure through
the cells' `receivables` aggregate, against the golden customer's credit limit) plugs in here
with `register_credit_check`: a check raises a `CrmError` (e.g. CREDIT_LIMIT_EXCEEDED) to
block the confirmation, and nothing is confirmed. With no check registered, every order passes.

A refusal rolls the confirmation's transaction back, so whatever a check wrote there is gone.
What must outlive the refusal (the order waiting for finance) is written by the recorders
registered with `register_refusal_recorder`: `order_confirm` calls them with the refusal after
the rollback (`record_refusal`), in a transaction of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from crm.platform.core.errors import CrmError, ErrorCode

if TYPE_CHECKING:
    from crm.platform.permissions.engine import Access
    from crm.tenants.ledger.models import Order

log = logging.getLogger(__name__)

# The codes a registered check may raise: `orderConfirm` declares them in its error type, so
# they reach the client as typed errors.
CREDIT_CHECK_ERROR_CODES: tuple[ErrorCode, ...] = (
    ErrorCode.CREDIT_LIMIT_EXCEEDED,
    ErrorCode.CREDIT_CHECK_UNAVAILABLE,
)

# A check is given the order being confirmed (with its lines and totals) and the caller.
CreditCheck = Callable[["Order", "Access"], None]
# A recorder is given the order, the caller and the refusal, after the rollback.
RefusalRecorder = Callable[["Order", "Access", CrmError], None]

_checks: list[CreditCheck] = []
_recorders: list[RefusalRecorder] = []


def register_credit_check(check: CreditCheck) -> CreditCheck:
    """Add a check run on every confirmation (in registration order); returns it."""
    if check not in _checks:
        _checks.append(check)
    return check


def unregister_credit_check(check: CreditCheck) -> None:
    if check in _checks:
        _checks.remove(check)


def register_refusal_recorder(recorder: RefusalRecorder) -> RefusalRecorder:
    """Add a recorder of credit refusals (see the module docstring); returns it."""
    if recorder not in _recorders:
        _recorders.append(recorder)
    return recorder


def unregister_refusal_recorder(recorder: RefusalRecorder) -> None:
    if recorder in _recorders:
        _recorders.remove(recorder)


def check_credit(order: Order, *, access: Access) -> None:
    """Raise a CrmError when the order may not be confirmed for credit reasons."""
    for check in list(_checks):
        check(order, access)


def is_credit_refusal(error: CrmError) -> bool:
    return error.code in CREDIT_CHECK_ERROR_CODES


def record_refusal(order: Order, error: CrmError, *, access: Access) -> None:
    """Give a credit refusal to the recorders (after the confirmation rolled back). A recorder
    that fails is logged: the caller still gets the refusal itself, never the recorder's error."""
    for recorder in list(_recorders):
        try:
            recorder(order, access, error)
        except Exception:
            log.exception("recording the credit refusal of order %s failed", order.pk)
