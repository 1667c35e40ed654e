"""Orders waiting for finance, and finance's releases: recording, releasing, reading.

A refused confirmation rolls back, so the hold is written afterwards, by `record_refusal` (the
ledger calls it with the refusal once its transaction is gone), in a transaction of its own with
the order locked: the first refusal creates the order's waiting hold, later ones update its
figures and count the attempts. That is finance's worklist (`holds(access, waiting=True)`).

Finance releases a waiting hold with a comment (`order_credit_release`): the customer's exposure
is computed again so that the release keeps the figures finance decided on (or which cells did
not answer), and the order may then be confirmed for its total at that moment.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.creditcontrol.access import CREDIT_HOLD, CREDIT_RELEASE
from crm.tenants.creditcontrol.check import CreditDecision, golden_customer
from crm.tenants.creditcontrol.exposure import credit_exposure
from crm.tenants.creditcontrol.models import CreditHold, CreditRelease, HoldStatus
from crm.tenants.ledger import orders
from crm.tenants.ledger.models import Order, OrderStatus

MAX_COMMENT = 1000


# -- recording a refusal ----------------------------------------------------------------------


def record_refusal(order: Order, access: Access, error: CrmError) -> None:
    """Keep a refused order waiting for finance (the ledger's refusal recorder)."""
    decision = getattr(error, "decision", None)
    if not isinstance(decision, CreditDecision):
        return
    now = timezone.now()
    with transaction.atomic():
        # Refusals of the same order one after another: the first creates, the next update.
        Order.objects.select_for_update().filter(pk=order.pk).values_list("pk").first()
        hold = CreditHold.objects.filter(order_id=order.pk, status=HoldStatus.WAITING).first()
        figures = {
            **decision.figures(),
            "reason": decision.reason,
            "last_blocked_at": now,
            "blocked_by_id": access.principal.user_id,
            "blocked_by_label": access.principal.label[:200],
        }
        if hold is None:
            hold = CreditHold.objects.create(order_id=order.pk, first_blocked_at=now, **figures)
        else:
            CreditHold.objects.filter(pk=hold.pk).update(attempts=F("attempts") + 1, **figures)
            hold.refresh_from_db()
    if access.can(Action.VIEW, hold):
        error.payload["credit_hold"] = hold  # orderConfirm's payload shows it beside the error


# -- reading ----------------------------------------------------------------------------------


def holds(access: Access, *, waiting: bool | None = None) -> QuerySet[CreditHold]:
    """The holds the caller may view; `waiting`: only those finance still has to decide on
    (waiting, of an order neither confirmed nor cancelled since), or only the others."""
    found = access.visible(CREDIT_HOLD, CreditHold.objects.select_related("order"))
    open_waiting = {"status": HoldStatus.WAITING, "order__confirmed": False}
    if waiting is True:
        return found.filter(**open_waiting).exclude(order__status=OrderStatus.CANCELLED)
    if waiting is False:
        still = CreditHold.objects.filter(**open_waiting).exclude(
            order__status=OrderStatus.CANCELLED
        )
        return found.exclude(pk__in=still.values("pk"))
    return found


def get_hold(access: Access, pk: int, *, field: str = "id") -> CreditHold:
    hold = holds(access).filter(pk=pk).first()
    if hold is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="credit hold", id=pk)
    return hold


def releases(access: Access) -> QuerySet[CreditRelease]:
    return access.visible(CREDIT_RELEASE, CreditRelease.objects.select_related("order", "hold"))


def get_release(access: Access, pk: int, *, field: str = "id") -> CreditRelease:
    release = releases(access).filter(pk=pk).first()
    if release is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="credit release", id=pk)
    return release


# -- releasing --------------------------------------------------------------------------------


def _comment(value: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > MAX_COMMENT:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="comment",
            reason=f"why it is released, 1 to {MAX_COMMENT} characters",
        )
    return text


def order_credit_release(access: Access, order: Order, *, comment: str) -> CreditRelease:
    """Release an order credit control holds, for its total in the group currency now.

    Refused: PERMISSION_DENIED for those who may not release holds; RECORD_CLOSED for a
    cancelled order; INVALID_STAGE_CHANGE for a confirmed one; CREDIT_NOT_BLOCKED when the
    order has no hold waiting for finance. Nothing is changed then.
    """
    access.require_some(Action.APPROVE, CREDIT_HOLD)
    text = _comment(comment)
    with transaction.atomic():
        locked = orders.orders(access).select_for_update(of=("self",)).filter(pk=order.pk).first()
        if locked is None:
            raise CrmError(ErrorCode.NOT_FOUND, field="order", object="order", id=order.pk)
        if locked.status == OrderStatus.CANCELLED:
            raise CrmError(
                ErrorCode.RECORD_CLOSED,
                field="order",
                object="order",
                status=OrderStatus(locked.status).label.lower(),
            )
        if locked.confirmed:
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                field="order",
                object="order",
                stage=OrderStatus(locked.status).label,
                direction="to released (it is confirmed already)",
            )
        hold = (
            CreditHold.objects.select_for_update()
            .filter(order_id=locked.pk, status=HoldStatus.WAITING)
            .first()
        )
        if hold is None:
            raise CrmError(ErrorCode.CREDIT_NOT_BLOCKED, field="order", order=locked.number)
        access.require(Action.APPROVE, hold)
        group = access.business_unit.group
        customer = golden_customer(locked.account.customer_id, group)
        figures = {
            "customer_id": hold.customer_id,
            "customer_code": hold.customer_code,
            "currency": locked.group_currency,
            "amount": locked.total_group,
            "exposure": None,
            "credit_limit": None,
            "missing_cells": hold.missing_cells,
        }
        if customer is not None:
            exposure = credit_exposure(customer)
            figures.update(
                customer_id=customer.pk,
                customer_code=customer.code,
                exposure=exposure.total,
                credit_limit=customer.credit_limit,
                missing_cells=exposure.missing_cells(),
            )
        release = CreditRelease.objects.create(
            hold=hold,
            order=locked,
            comment=text,
            released_by_id=access.principal.user_id,
            released_by_label=access.principal.label[:200],
            **figures,
        )
        hold.status = HoldStatus.RELEASED
        hold.save(update_fields=["status"])
    return release
