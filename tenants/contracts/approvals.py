"""Routing a contract through the BU's approval flows, deciding its steps, delegating.

Routing (at submission): the contract's total in the group currency (spot rate of the day) and
its discount select the first active flow, by position, whose thresholds it reaches; of that
flow, the steps whose own thresholds it reaches become the request's tasks. A SEQUENTIAL flow
opens one task at a time, in order; a PARALLEL flow opens them all. No flow, or no step: the
contract is approved at once (recorded as NOT_REQUIRED).

Deciding: a task is decided by its user, or by any holder of its role (in the BU or at group
level), or by someone they delegated to for a period covering today (the decision then names
whom the delegate stood in for). Nobody decides on a contract they own. One rejection rejects
the request (the contract goes back to negotiation); when every task is approved, the contract
is approved. Every step is kept in the trail (`ApprovalEvent`).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from crm.platform.accounts.models import Membership, Role, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.contracts.access import APPROVAL, APPROVAL_FLOW
from crm.tenants.contracts.models import (
    ApprovalDelegation,
    ApprovalEvent,
    ApprovalFlow,
    ApprovalRequest,
    ApprovalStep,
    ApprovalTask,
    Contract,
    ContractStatus,
    FlowMode,
    RequestStatus,
    TaskStatus,
)

Kind = ApprovalEvent.Kind
OPEN = (TaskStatus.WAITING, TaskStatus.PENDING)


def record(
    access: Access,
    contract: Contract,
    kind: str,
    *,
    request: ApprovalRequest | None = None,
    task: ApprovalTask | None = None,
    on_behalf_of: int | None = None,
    comment: str = "",
) -> ApprovalEvent:
    return ApprovalEvent.objects.create(
        contract=contract,
        request=request,
        task=task,
        kind=kind,
        user_id=access.principal.user_id,
        on_behalf_of_id=on_behalf_of,
        actor=access.principal.label,
        comment=comment.strip()[:1000],
    )


# -- routing ----------------------------------------------------------------------------------


def _reaches(minimum: Decimal | None, value: Decimal) -> bool:
    return minimum is None or value >= minimum


def flow_for(amount_group: Decimal, discount: Decimal) -> ApprovalFlow | None:
    for flow in ApprovalFlow.objects.filter(active=True).order_by("position", "id"):
        if _reaches(flow.min_amount_group, amount_group) and _reaches(flow.min_discount, discount):
            return flow
    return None


def steps_for(flow: ApprovalFlow, amount_group: Decimal, discount: Decimal) -> list[ApprovalStep]:
    return [
        step
        for step in flow.steps.order_by("position")
        if _reaches(step.min_amount_group, amount_group) and _reaches(step.min_discount, discount)
    ]


def route(access: Access, contract: Contract) -> ApprovalRequest:
    """Open the contract's approval request (see the module); `contract.amount_group` is set."""
    assert contract.amount_group is not None
    amount, discount = contract.amount_group, contract.discount
    flow = flow_for(amount, discount)
    steps = steps_for(flow, amount, discount) if flow is not None else []
    request = ApprovalRequest.objects.create(
        contract=contract,
        flow_code=flow.code if flow else "",
        mode=flow.mode if flow else FlowMode.SEQUENTIAL,
        amount_group=amount,
        group_currency=contract.group_currency,
        discount=discount,
        submitted_by_id=access.principal.user_id,
    )
    record(access, contract, Kind.SUBMITTED, request=request)
    parallel = request.mode == FlowMode.PARALLEL
    tasks = ApprovalTask.objects.bulk_create(
        ApprovalTask(
            request=request,
            contract=contract,
            position=index,
            name=step.name,
            approver_role=step.approver_role,
            approver_user_id=step.approver_user_id,
            status=TaskStatus.PENDING if parallel or index == 1 else TaskStatus.WAITING,
        )
        for index, step in enumerate(steps, start=1)
    )
    for task in tasks:
        if task.status == TaskStatus.PENDING:
            record(access, contract, Kind.OPENED, request=request, task=task)
    if not tasks:
        request.status = RequestStatus.APPROVED
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
        record(access, contract, Kind.NOT_REQUIRED, request=request)
    return request


# -- who may decide ---------------------------------------------------------------------------


def role_holders(access: Access, role: str) -> set[int]:
    """Active users holding `role` in this BU or at group level."""
    return set(
        Membership.objects.filter(
            Q(business_unit=access.business_unit) | Q(business_unit__isnull=True),
            group_id=access.business_unit.group_id,
            role__code=role,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )


def delegators_of(user_id: int, on: datetime.date) -> set[int]:
    """Whom `user_id` stands in for on `on`."""
    return set(
        ApprovalDelegation.objects.filter(
            delegate_id=user_id, starts_on__lte=on, ends_on__gte=on
        ).values_list("delegator_id", flat=True)
    )


@dataclass(frozen=True)
class Standing:
    """Whether the caller decides a task, and for whom when as a delegate."""

    allowed: bool
    on_behalf_of: int | None = None


def standing(access: Access, task: ApprovalTask, on: datetime.date) -> Standing:
    me = access.principal.user_id
    if me is None:
        return Standing(False)
    holders = role_holders(access, task.approver_role) if task.approver_role else set()
    if me == task.approver_user_id or me in holders:
        return Standing(True)
    stood_for = delegators_of(me, on)
    if task.approver_user_id in stood_for:
        return Standing(True, task.approver_user_id)
    covered = sorted(stood_for & holders)
    if covered:
        return Standing(True, covered[0])
    return Standing(False)


def my_open_tasks(access: Access) -> QuerySet[ApprovalTask]:
    """The pending tasks the caller may decide (themselves, by role or as a delegate)."""
    me = access.principal.user_id
    if me is None:
        return ApprovalTask.objects.none()
    on = access.business_unit.today()
    people = {me, *delegators_of(me, on)}
    roles = set(
        Membership.objects.filter(
            Q(business_unit=access.business_unit) | Q(business_unit__isnull=True),
            group_id=access.business_unit.group_id,
            user_id__in=people,
        ).values_list("role__code", flat=True)
    )
    reach = Q(approver_user_id__in=people) | Q(approver_role__in=roles)
    return access.visible(
        APPROVAL, ApprovalTask.objects.filter(reach, status=TaskStatus.PENDING)
    ).exclude(contract__owner_id=me)


# -- deciding ---------------------------------------------------------------------------------


def set_status(access: Access, contract: Contract, status: str, occurrence: str) -> None:
    from crm.tenants.automation import events

    before = contract.status
    contract.status = status
    contract.updated_at = timezone.now()
    contract.save(update_fields=["status", "updated_at"])
    events.stage_changed(access, "contract", contract, before, status, occurrence=occurrence)


def decide(access: Access, task: ApprovalTask, *, approve: bool, comment: str = "") -> ApprovalTask:
    """Approve or reject one pending task (see the module for who may)."""
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=task.request_id)
        task = ApprovalTask.objects.select_related("contract").get(pk=task.pk)
        contract = Contract.objects.select_for_update().get(pk=task.contract_id)
        if task.status not in OPEN or request.status != RequestStatus.PENDING:
            raise CrmError(ErrorCode.ALREADY_DECIDED, status=TaskStatus(task.status).label.lower())
        access.require(Action.APPROVE, task)
        if task.status == TaskStatus.WAITING:
            raise CrmError(ErrorCode.NOT_AN_APPROVER, reason="an earlier step is not decided yet")
        if contract.owner_id == access.principal.user_id:
            raise CrmError(ErrorCode.NOT_AN_APPROVER, reason="nobody approves their own contract")
        found = standing(access, task, access.business_unit.today())
        if not found.allowed:
            who = task.approver_role or f"user {task.approver_user_id}"
            raise CrmError(ErrorCode.NOT_AN_APPROVER, reason=f"this step is for {who}")
        task.status = TaskStatus.APPROVED if approve else TaskStatus.REJECTED
        task.decided_by_id = access.principal.user_id
        task.on_behalf_of_id = found.on_behalf_of
        task.decided_at = timezone.now()
        task.comment = comment.strip()[:1000]
        task.save()
        record(
            access,
            contract,
            Kind.APPROVED if approve else Kind.REJECTED,
            request=request,
            task=task,
            on_behalf_of=found.on_behalf_of,
            comment=comment,
        )
        if not approve:
            _close(request, RequestStatus.REJECTED)
            set_status(access, contract, ContractStatus.NEGOTIATION, f"rejected:{request.pk}")
            return task
        remaining = list(request.tasks.filter(status__in=OPEN).order_by("position"))
        if not remaining:
            _close(request, RequestStatus.APPROVED)
            record(access, contract, Kind.COMPLETED, request=request)
            set_status(access, contract, ContractStatus.APPROVED, f"approved:{request.pk}")
        elif request.mode == FlowMode.SEQUENTIAL and remaining[0].status == TaskStatus.WAITING:
            following = remaining[0]
            following.status = TaskStatus.PENDING
            following.save(update_fields=["status"])
            record(access, contract, Kind.OPENED, request=request, task=following)
    return task


def withdraw_open(contract: Contract) -> ApprovalRequest | None:
    """Withdraw the contract's pending approval request, if any (its open steps with it)."""
    request = (
        ApprovalRequest.objects.select_for_update()
        .filter(contract=contract, status=RequestStatus.PENDING)
        .first()
    )
    if request is not None:
        _close(request, RequestStatus.WITHDRAWN)
    return request


def _close(request: ApprovalRequest, status: str) -> None:
    request.status = status
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    request.tasks.filter(status__in=OPEN).update(status=TaskStatus.WITHDRAWN)


def get_task(access: Access, pk: int, *, field: str = "id") -> ApprovalTask:
    task = access.visible(APPROVAL, ApprovalTask.objects.all()).filter(pk=pk).first()
    if task is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="approval", id=pk)
    return task


# -- delegation -------------------------------------------------------------------------------


def delegate(
    access: Access,
    *,
    delegate_id: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    delegator_id: int | None = None,
    note: str = "",
) -> ApprovalDelegation:
    """Let `delegate_id` decide, from `starts_on` to `ends_on`, what the delegator may: the
    caller themselves, or (with ASSIGN on approvals, a BU manager) another person of the BU."""
    me = access.principal.user_id
    delegator = delegator_id or me
    if delegator is None:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="delegator", reason="a user delegates")
    access.require_some(Action.APPROVE, APPROVAL)
    if delegator != me:
        access.require_some(Action.ASSIGN, APPROVAL)
    if ends_on < starts_on:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="endsOn", reason="before startsOn")
    if delegate_id == delegator:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="delegate", reason="someone else")
    for field, pk in (("delegate", delegate_id), ("delegator", delegator)):
        _bu_person(access, pk, field)
    return ApprovalDelegation.objects.create(
        delegator_id=delegator,
        delegate_id=delegate_id,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note.strip()[:500],
        created_by_id=me,
    )


def _bu_person(access: Access, pk: int, field: str) -> None:
    """An active user with a role in this BU (or at group level), or INVALID_ASSIGNEE."""
    holds = Membership.objects.filter(
        Q(business_unit=access.business_unit) | Q(business_unit__isnull=True),
        group_id=access.business_unit.group_id,
        user_id=pk,
        user__is_active=True,
    ).exists()
    if not holds:
        raise CrmError(
            ErrorCode.INVALID_ASSIGNEE,
            field=field,
            object="approval",
            user=pk,
            reason="no active user with a role in this business unit",
        )


def delegations(access: Access) -> QuerySet[ApprovalDelegation]:
    """The caller's delegations (given and received); every one for whoever may ASSIGN."""
    queryset = ApprovalDelegation.objects.all()
    if not any(Action.ASSIGN in rule.actions for _grant, rule in access.rules(APPROVAL)):
        me = access.principal.user_id
        queryset = queryset.filter(Q(delegator_id=me) | Q(delegate_id=me))
    return queryset.order_by("-starts_on", "id")


# -- flows as data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StepInput:
    name: str
    approver_role: str = ""
    approver_user_id: int | None = None
    min_amount_group: Decimal | None = None
    min_discount: Decimal | None = None


def _threshold(value: Decimal | None, field: str, *, percent: bool = False) -> Decimal | None:
    if value is None:
        return None
    top = Decimal(100) if percent else Decimal(10) ** 15
    if not (value.is_finite() and 0 <= value < top) or value != round(value, 3):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field=field,
            reason="a number from 0, at most 3 decimal places" + (", below 100" if percent else ""),
        )
    return value


def flow_save(
    access: Access,
    *,
    code: str,
    name: str,
    mode: str,
    steps: Sequence[StepInput],
    active: bool = True,
    position: int = 0,
    min_amount_group: Decimal | None = None,
    min_discount: Decimal | None = None,
) -> ApprovalFlow:
    """Create the flow `code`, or replace its settings and steps."""
    code = (code or "").strip().lower()
    if not code or len(code) > 40 or not code.replace("-", "").replace("_", "").isalnum():
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="code", reason="letters, digits, - and _")
    if mode not in FlowMode.values:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="mode", reason="SEQUENTIAL or PARALLEL")
    if not 0 < len(steps) <= 20:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="steps", reason="1 to 20 steps")
    if position < 0:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="position", reason="0 or more")
    roles = set(
        Role.objects.filter(group_id=access.business_unit.group_id).values_list("code", flat=True)
    )
    cleaned: list[dict[str, Any]] = []
    for index, step in enumerate(steps):
        where = f"steps.{index}"
        if bool(step.approver_role) == (step.approver_user_id is not None):
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field=where, reason="either a role or a user"
            )
        if step.approver_role and step.approver_role not in roles:
            raise CrmError(
                ErrorCode.NOT_FOUND, field=f"{where}.role", object="role", id=step.approver_role
            )
        if step.approver_user_id is not None:
            _bu_person(access, step.approver_user_id, f"{where}.user")
        cleaned.append(
            {
                "position": index + 1,
                "name": (step.name or step.approver_role or "").strip()[:200],
                "approver_role": step.approver_role,
                "approver_user_id": step.approver_user_id,
                "min_amount_group": _threshold(step.min_amount_group, f"{where}.minAmountGroup"),
                "min_discount": _threshold(step.min_discount, f"{where}.minDiscount", percent=True),
            }
        )
    with transaction.atomic():
        flow = ApprovalFlow.objects.select_for_update().filter(code=code).first()
        if flow is None:
            access.require(Action.CREATE, APPROVAL_FLOW)
            flow = ApprovalFlow(code=code)
        else:
            access.require(Action.EDIT, flow)
        flow.name = (name or code).strip()[:200]
        flow.mode = mode
        flow.active = active
        flow.position = position
        flow.min_amount_group = _threshold(min_amount_group, "minAmountGroup")
        flow.min_discount = _threshold(min_discount, "minDiscount", percent=True)
        flow.updated_at = timezone.now()
        flow.save()
        ApprovalStep.objects.filter(flow=flow).delete()
        ApprovalStep.objects.bulk_create(ApprovalStep(flow=flow, **step) for step in cleaned)
    return flow


def user_ids(usernames: Sequence[str], group_id: int) -> dict[str, int]:
    return dict(
        User.objects.filter(group_id=group_id, username__in=list(usernames)).values_list(
            "username", "pk"
        )
    )
