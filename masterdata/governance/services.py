"""Filing and deciding change requests on golden customers.

Filing records what the fields hold now (`base`). Deciding is atomic: under row locks on the
request and the customer, the steward's approval applies the (possibly amended) values through
the same service a steward's own edit uses, so every rule (tax ids, duplicates, the steward's
field permissions) holds; a field that changed since filing is a CHANGE_CONFLICT unless the
steward confirms it.

A request for a NEW customer (kind CREATE) carries the whole proposal, validated at filing as
`customerCreate` would validate it (country, tax id, choices) and checked for duplicates (refused
with DUPLICATE_SUSPECTED and the candidates unless the filer confirms). Approving it creates the
golden record through `customer_create` with the steward's access, its history naming the
request, and sets `request.customer`. The filer gets an in-app notification of the decision when
the filing BU's schema is in this cell (otherwise the request's status is what they see).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import pghistory
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from crm.masterdata.customers import duplicates, identity
from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import Customer
from crm.masterdata.customers.services import (
    REQUIRED,
    apply_field,
    customer_create,
    customer_update,
    group_customers,
)
from crm.masterdata.governance.access import CHANGE_REQUEST
from crm.masterdata.governance.models import ChangeRequest, RequestKind, RequestStatus
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible
from crm.regions.models import Region

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
# What a BU may propose for a new customer (the steward sets code, status, limits, parent later).
NEW_PROPOSABLE = (
    "legal_name",
    "trade_name",
    "country",
    "tax_id",
    "industry",
    "size",
    "classification",
    "grade",
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


def _in_home_cell(access: Access) -> None:
    """Change requests are HQ's work queue, decided in the group's home cell. A BU served by
    another cell is told so (READ_ONLY_REPLICA naming the home cell) instead of filing a request
    that HQ would never see there; forwarding requests between cells is not built yet."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('crm.region', true)")
        row = cursor.fetchone()
    cell = row[0] if row else None
    group = access.business_unit.group
    if cell and cell != group.home_region_id:
        home = Region.objects.filter(pk=group.home_region_id).first()
        raise CrmError(
            ErrorCode.READ_ONLY_REPLICA,
            home_region=group.home_region_id,
            endpoint=home.api_endpoint if home else "",
        )


def file_request(
    *, access: Access, customer_id: int, changes: Mapping[str, str], reason: str
) -> ChangeRequest:
    access.require(Action.CREATE, CHANGE_REQUEST)
    _in_home_cell(access)
    proposed = _proposal(changes)
    _check_reason(reason)
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


def _check_reason(reason: str) -> None:
    if not reason.strip() or len(reason) > REASON_LENGTH:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="why", reason=f"1 to {REASON_LENGTH} characters"
        )


def new_customer_proposal(access: Access, proposed: Mapping[str, Any]) -> dict[str, Any]:
    """The proposal validated as customerCreate validates (required fields, country, tax id,
    choices, trade names per language) and normalized, as JSON values; INVALID_ARGUMENT,
    INVALID_TAX_ID or UNKNOWN_LANGUAGE otherwise."""
    given = {field: value for field, value in proposed.items() if value not in (None, "", {})}
    unknown = sorted(set(given) - set(NEW_PROPOSABLE))
    if unknown:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="newCustomer",
            reason=f"cannot propose {', '.join(unknown)}; one of {', '.join(NEW_PROPOSABLE)}",
        )
    missing = [argument for name, argument in REQUIRED.items() if not given.get(name)]
    if missing:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=missing[0], reason="required")
    draft = Customer(group_id=access.business_unit.group_id)
    for field in ("country", *[name for name in given if name != "country"]):
        apply_field(access, draft, field, given[field])
    draft.tax_id = identity.tax_id(draft.country, draft.tax_id)
    cleaned: dict[str, Any] = {"legal_name": draft.legal_name, "country": draft.country}
    if draft.tax_id:
        cleaned["tax_id"] = draft.tax_id
    if "trade_name" in given:
        cleaned["trade_name"] = {
            language: str(text)[:300] for language, text in dict(given["trade_name"]).items()
        }
    for field in ("industry", "size", "classification", "grade"):
        if field in given and getattr(draft, field):
            cleaned[field] = str(getattr(draft, field))
    return cleaned


def suspected_duplicates(access: Access, proposal: Mapping[str, Any]) -> list[duplicates.Candidate]:
    """Existing customers (that the caller may view) that look like the proposed one."""
    return duplicates.candidates(
        access.visible(CUSTOMER, group_customers(access)),
        country=str(proposal["country"]),
        normalized_name=identity.normalized_name(str(proposal["legal_name"])),
        tax_id=str(proposal.get("tax_id") or ""),
    )


def file_new_customer_request(
    access: Access,
    *,
    proposed: Mapping[str, Any],
    reason: str,
    confirm_duplicate: bool = False,
) -> ChangeRequest:
    """A BU asks HQ for a new golden customer. `proposed` maps NEW_PROPOSABLE fields to values
    (`trade_name`: language -> text). Suspected duplicates refuse it (DUPLICATE_SUSPECTED, the
    candidates in the payload) unless `confirm_duplicate`."""
    access.require(Action.CREATE, CHANGE_REQUEST)
    _in_home_cell(access)
    _check_reason(reason)
    proposal = new_customer_proposal(access, proposed)
    if not confirm_duplicate:
        found = suspected_duplicates(access, proposal)
        if found:
            error = CrmError(ErrorCode.DUPLICATE_SUSPECTED, field="legalName", count=len(found))
            error.payload["duplicates"] = found
            raise error
    return ChangeRequest.objects.create(
        group_id=access.business_unit.group_id,
        business_unit=access.business_unit,
        kind=RequestKind.CREATE,
        customer=None,
        proposed=proposal,
        base={},
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
        if request.kind == RequestKind.CREATE:
            _create_customer(access, request, amendments or {}, confirm_duplicate)
            _decided(access, request, RequestStatus.APPROVED, note)
            return request
        values = dict(request.proposed)
        if amendments:
            access.require(Action.APPROVE, request, ["proposed"])
            values.update(_proposal(amendments))
        customer = Customer.objects.select_for_update().get(pk=int(request.customer_id or 0))
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
        request.applied = values
        _decided(access, request, RequestStatus.APPROVED, note)
    return request


def _create_customer(
    access: Access, request: ChangeRequest, amendments: Mapping[str, str], confirmed: bool
) -> None:
    values = dict(request.proposed)
    if amendments:
        access.require(Action.APPROVE, request, ["proposed"])
        unknown = sorted(set(amendments) - (set(NEW_PROPOSABLE) - {"trade_name"}))
        if unknown:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="amendments",
                reason=f"cannot amend {', '.join(unknown)}",
            )
        values.update({field: str(value) for field, value in amendments.items()})
        values = new_customer_proposal(access, values)
    # The history of the new record names the request it came from.
    with pghistory.context(change_request=request.pk):
        customer = customer_create(access=access, fields=values, confirm_duplicate=confirmed)
    request.customer = customer
    request.applied = values


def _decided(access: Access, request: ChangeRequest, status: str, note: str) -> None:
    request.status = status
    request.decided_by_id = access.principal.user_id
    request.decided_at = timezone.now()
    request.decision_note = note.strip()[:REASON_LENGTH]
    request.save()
    _notify_filer(request)


def _notify_filer(request: ChangeRequest) -> None:
    """An in-app notification for the filer, in the filing BU's schema when it is in this cell
    (the decision runs in the steward's BU; a BU of another region only sees the status)."""
    from crm.tenants.automation.models import Notification
    from crm.tenants.leads.models import Lead
    from crm.tenants.models import BusinessUnit

    if request.filed_by_id is None:
        return
    business_unit = BusinessUnit.objects.get(pk=request.business_unit_id)
    if business_unit.region_id != settings.REGION:
        return
    what = (
        request.proposed.get("legal_name", "")
        if request.kind == RequestKind.CREATE
        else request.customer.legal_name
        if request.customer is not None
        else ""
    )
    if request.status == RequestStatus.APPROVED:
        subject = gettext("Headquarters approved your request for %(name)s") % {"name": what}
    else:
        subject = gettext("Headquarters rejected your request for %(name)s") % {"name": what}
    with schema_context(business_unit.schema_name):
        # Filed while converting a lead: the notification points at the lead to convert.
        lead_id = Lead.objects.filter(change_request_id=request.pk).values_list("pk", flat=True)
        lead = lead_id.first()
        Notification.objects.create(
            recipient_id=request.filed_by_id,
            subject=subject[:300],
            body=request.decision_note,
            record_type="lead" if lead is not None else "",
            record_id=lead,
        )


def reject(*, access: Access, request_id: int, note: str) -> ChangeRequest:
    if not note.strip():
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="note", reason="say why")
    with transaction.atomic():
        request = _locked_pending(access, request_id)
        _decided(access, request, RequestStatus.REJECTED, note)
    return request
