"""Filing and deciding change requests on golden customers.

Filing records what the fields hold now (`base`). Deciding is atomic: under row locks on the
request and the customer, the steward's approval applies the (possibly amended) values through
the same service a steward's own edit uses, so every rule (tax ids, duplicates, the steward's
field permissions) holds; a field that changed since filing is a CHANGE_CONFLICT unless the
steward confirms it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import Customer
from crm.masterdata.customers.services import customer_update, group_customers
from crm.masterdata.governance.access import CHANGE_REQUEST
from crm.masterdata.governance.models import ChangeRequest, RequestStatus
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible

# What a BU may propose, as model fields; values travel as text.
PROPOSABLE = (
    "legal_name",
    "country",
    "tax_id",
    "industry",
    "size",
    "classification",
    "grade",
    "credit_limit",
    "status",
)
REASON_LENGTH = 500


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def current_values(customer: Customer, fields: list[str]) -> dict[str, str]:
    return {field: _text(getattr(customer, field)) for field in fields}


def _typed(field: str, value: str) -> Any:
    if field == "credit_limit":
        if value == "":
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="changes", reason=f"{field}: not a number"
            ) from None
    return value


def _proposal(changes: Mapping[str, str]) -> dict[str, str]:
    if not changes:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="changes", reason="propose a change")
    unknown = sorted(set(changes) - set(PROPOSABLE))
    if unknown:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="changes",
            reason=f"cannot propose {', '.join(unknown)}; one of {', '.join(PROPOSABLE)}",
        )
    return {field: str(value) for field, value in changes.items()}


def file_request(
    *, access: Access, customer_id: int, changes: Mapping[str, str], reason: str
) -> ChangeRequest:
    access.require(Action.CREATE, CHANGE_REQUEST)
    proposed = _proposal(changes)
    if not reason.strip() or len(reason) > REASON_LENGTH:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="reason", reason=f"1 to {REASON_LENGTH} characters"
        )
    customer = access.visible(CUSTOMER, group_customers(access)).filter(pk=customer_id).first()
    if customer is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="customer", object=CUSTOMER.name, id=customer_id)
    return ChangeRequest.objects.create(
        group_id=access.business_unit.group_id,
        business_unit=access.business_unit,
        customer=customer,
        proposed=proposed,
        base=current_values(customer, list(proposed)),
        reason=reason.strip(),
        filed_by_id=access.principal.user_id,
    )


def conflicts(request: ChangeRequest, customer: Customer) -> dict[str, tuple[str, str]]:
    """Fields whose value changed since filing: field -> (at filing, now)."""
    now = current_values(customer, list(request.base))
    return {f: (request.base[f], now[f]) for f in request.base if now[f] != request.base[f]}


def _locked_pending(access: Access, request_id: int) -> ChangeRequest:
    request = lock_visible(
        access,
        CHANGE_REQUEST,
        ChangeRequest.objects.filter(group_id=access.business_unit.group_id),
        request_id,
    )
    if request.status != RequestStatus.PENDING:
        raise CrmError(ErrorCode.ALREADY_DECIDED, field="id", status=request.status.lower())
    access.require(Action.APPROVE, request)
    return request


def approve(
    *,
    access: Access,
    request_id: int,
    amendments: Mapping[str, str] | None = None,
    accept_conflicts: bool = False,
    note: str = "",
    confirm_duplicate: bool = False,
) -> ChangeRequest:
    with transaction.atomic():
        request = _locked_pending(access, request_id)
        values = dict(request.proposed)
        if amendments:
            access.require(Action.APPROVE, request, ["proposed"])
            values.update(_proposal(amendments))
        customer = Customer.objects.select_for_update().get(pk=request.customer_id)
        changed = conflicts(request, customer)
        if changed and not accept_conflicts:
            error = CrmError(ErrorCode.CHANGE_CONFLICT, field="id", fields=", ".join(changed))
            error.payload["conflicts"] = changed
            raise error
        customer_update(
            access=access,
            customer_id=customer.pk,
            changes={field: _typed(field, value) for field, value in values.items()},
            confirm_duplicate=confirm_duplicate,
        )
        request.status = RequestStatus.APPROVED
        request.applied = values
        request.decided_by_id = access.principal.user_id
        request.decided_at = timezone.now()
        request.decision_note = note[:REASON_LENGTH]
        request.save()
    return request


def reject(*, access: Access, request_id: int, note: str) -> ChangeRequest:
    if not note.strip():
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="note", reason="say why")
    with transaction.atomic():
        request = _locked_pending(access, request_id)
        request.status = RequestStatus.REJECTED
        request.decided_by_id = access.principal.user_id
        request.decided_at = timezone.now()
        request.decision_note = note.strip()[:REASON_LENGTH]
        request.save()
    return request
