"""A business unit's contracts: made from an accepted quote, negotiated, approved, signed.

negotiation → (submit) in_approval → approved → (sign) signed. Terms and payment terms change
only in negotiation (RECORD_CLOSED otherwise). Submitting converts the total to the group
currency at the day's spot rate and routes the contract through the BU's approval flows
(`approvals`); a rejection brings it back to negotiation. Signing an unapproved contract is
CONTRACT_NOT_APPROVED. Signing creates the payment plan (`payments`) in the same transaction,
tells automation the contract became `signed` (the default rule `contract-signed` notifies
finance and delivery; its CREATE_PAYMENT_PLAN action finds the plan already made) and records
the `contract.signed` integration event for the ERP and finance, with the lines and the plan.

For the ledger (orders, invoices): `signed_contract(access, pk)` (or `get_contract`) and a
contract's `total` (Money), `currency`, `account_id`, `customer_id`; the BU is the schema it
lives in.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crm.masterdata import fx
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import round_money
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.automation import events
from crm.tenants.contracts import approvals, payments
from crm.tenants.contracts.access import CONTRACT
from crm.tenants.contracts.models import (
    ApprovalEvent,
    Contract,
    ContractStatus,
    PaymentInstalment,
)
from crm.tenants.ledger import integration
from crm.tenants.ledger.conversion import money_text
from crm.tenants.ledger.models import EventKind
from crm.tenants.quotes.models import Quote, QuoteLine, QuoteStatus

OBJECT = "contract"
UNSET: Any = object()


def contracts(access: Access) -> QuerySet[Contract]:
    return (
        access.visible(CONTRACT, Contract.objects.all())
        .select_related("opportunity")
        .prefetch_related("opportunity__team")
    )


def get_contract(access: Access, pk: int, *, field: str = "id") -> Contract:
    """A contract the principal may view, or NOT_FOUND (also for other BUs' contracts)."""
    found = contracts(access).filter(pk=pk).first()
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=OBJECT, id=pk)
    return found


def signed_contract(access: Access, pk: int, *, field: str = "contract") -> Contract:
    """A signed contract the principal may view (what an order is made from): NOT_FOUND, or
    CONTRACT_NOT_APPROVED before signing, RECORD_CLOSED once cancelled."""
    contract = get_contract(access, pk, field=field)
    if contract.status == ContractStatus.CANCELLED:
        raise _closed(contract)
    if contract.status != ContractStatus.SIGNED:
        raise CrmError(
            ErrorCode.CONTRACT_NOT_APPROVED,
            field=field,
            status=ContractStatus(contract.status).label,
        )
    return contract


def _locked(access: Access, contract: Contract) -> Contract:
    locked = (
        access.visible(CONTRACT, Contract.objects.all())
        .select_for_update(of=("self",))
        .filter(pk=contract.pk)
        .first()
    )
    if locked is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object=OBJECT, id=contract.pk)
    return (
        Contract.objects.select_related("opportunity")
        .prefetch_related("opportunity__team")
        .get(pk=locked.pk)
    )


def _closed(contract: Contract) -> CrmError:
    return CrmError(
        ErrorCode.RECORD_CLOSED, object=OBJECT, status=ContractStatus(contract.status).label
    )


def create_contract(
    access: Access,
    quote: Quote,
    *,
    terms: str = "",
    payment_terms: Any = None,
) -> Contract:
    """A contract in negotiation for an accepted quote (one per quote), with its amounts."""
    access.require(Action.CREATE, CONTRACT)
    if quote.status != QuoteStatus.ACCEPTED or not quote.is_current:
        status = QuoteStatus(quote.status).label if quote.is_current else "superseded"
        raise CrmError(ErrorCode.QUOTE_NOT_ACCEPTED, field="quote", status=status)
    shares = payments.parse_terms(
        payment_terms if payment_terms is not None else [{"percent": "100", "days": 30}]
    )
    with transaction.atomic():
        if Contract.objects.filter(quote=quote).exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS, field="quote", object=OBJECT, value=quote.number
            )
        now = timezone.now()
        contract = Contract.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:16]}",  # the real one needs the id
            quote=quote,
            opportunity_id=quote.opportunity_id,
            account_id=quote.account_id,
            customer_id=quote.account.customer_id,
            owner_id=quote.owner_id,
            currency=quote.currency,
            net_amount=quote.net_amount,
            tax_amount=quote.tax_amount,
            total_amount=quote.gross_amount,
            discount=quote.max_discount,
            terms=terms.strip(),
            payment_terms=payments.terms_json(shares),
            created_at=now,
            updated_at=now,
        )
        contract.number = f"C-{contract.pk:06d}"
        contract.save(update_fields=["number"])
        events.record_created(access, OBJECT, contract)
    return contract


def update_contract(
    access: Access,
    contract: Contract,
    *,
    terms: str | None = UNSET,
    payment_terms: Any = UNSET,
) -> Contract:
    """Change the terms or payment terms of a contract in negotiation."""
    changes = {
        name: value
        for name, value in (("terms", terms), ("payment_terms", payment_terms))
        if value is not UNSET and value is not None
    }
    with transaction.atomic():
        contract = _locked(access, contract)
        if contract.status != ContractStatus.NEGOTIATION:
            raise _closed(contract)
        access.require(Action.EDIT, contract, list(changes))
        if "terms" in changes:
            contract.terms = str(changes["terms"]).strip()
        if "payment_terms" in changes:
            contract.payment_terms = payments.terms_json(
                payments.parse_terms(changes["payment_terms"])
            )
        contract.updated_at = timezone.now()
        contract.save()
    return contract


def submit(access: Access, contract: Contract, comment: str = "") -> Contract:
    """Submit a contract in negotiation for approval, routed by its group-currency amount and
    discount; approved at once when no flow asks for an approval."""
    with transaction.atomic():
        contract = _locked(access, contract)
        if contract.status != ContractStatus.NEGOTIATION:
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                object=OBJECT,
                stage=contract.status,
                direction="to approval",
            )
        access.require(Action.ADVANCE, contract)
        business_unit = access.business_unit
        group = business_unit.group
        conversion = fx.convert(
            contract.total, group.currency, group=group, on=business_unit.today()
        )
        contract.amount_group = round_money(conversion.result).amount
        contract.group_currency = group.currency
        contract.fx_rate = conversion.rate.rate
        contract.fx_rate_date = conversion.rate.date
        contract.save(update_fields=["amount_group", "group_currency", "fx_rate", "fx_rate_date"])
        request = approvals.route(access, contract)
        if comment:
            ApprovalEvent.objects.filter(request=request, kind=ApprovalEvent.Kind.SUBMITTED).update(
                comment=comment.strip()[:1000]
            )
        approved = request.status == "APPROVED"
        approvals.set_status(
            access,
            contract,
            ContractStatus.APPROVED if approved else ContractStatus.IN_APPROVAL,
            f"submitted:{request.pk}",
        )
    return contract


def sign(access: Access, contract: Contract, *, signed_on: datetime.date | None = None) -> Contract:
    """Sign an approved contract: its payment plan is made, automation is told."""
    with transaction.atomic():
        contract = _locked(access, contract)
        if contract.status in (ContractStatus.NEGOTIATION, ContractStatus.IN_APPROVAL):
            raise CrmError(
                ErrorCode.CONTRACT_NOT_APPROVED, status=ContractStatus(contract.status).label
            )
        if contract.status != ContractStatus.APPROVED:
            raise _closed(contract)
        access.require(Action.ADVANCE, contract)
        day = signed_on or access.business_unit.today()
        if day > access.business_unit.today():
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="signedOn", reason="not in the future")
        contract.signed_on = day
        contract.signed_by_id = access.principal.user_id
        contract.save(update_fields=["signed_on", "signed_by"])
        instalments, _made = payments.create_payment_plan(contract)
        approvals.record(access, contract, ApprovalEvent.Kind.SIGNED)
        approvals.set_status(access, contract, ContractStatus.SIGNED, f"signed:{contract.pk}")
        integration.publish(
            EventKind.CONTRACT_SIGNED,
            business_unit=access.business_unit,
            record_type="Contract",
            record_id=contract.pk,
            idempotency_key=f"{access.business_unit.handle}:contract.signed:{contract.number}",
            data=contract_data(contract, instalments),
        )
    return contract


def contract_data(contract: Contract, instalments: list[PaymentInstalment]) -> dict[str, object]:
    """What the `contract.signed` event says (codes and amounts; no personal data): the lines
    as quoted (net, tax rate and tax per line) and the payment plan."""
    currency = contract.currency
    lines = QuoteLine.objects.filter(quote_id=contract.quote_id).order_by("position")
    return {
        "number": contract.number,
        "quote": contract.quote.number,
        "quote_version": contract.quote.version,
        "account": contract.account.local_code,
        "customer_id": contract.customer_id,
        "signed_on": contract.signed_on.isoformat() if contract.signed_on else None,
        "currency": currency,
        "net_total": money_text(contract.net_amount, currency),
        "tax_total": money_text(contract.tax_amount, currency),
        "total": money_text(contract.total_amount, currency),
        "group_currency": contract.group_currency,
        "total_group": (
            money_text(contract.amount_group, contract.group_currency)
            if contract.amount_group is not None and contract.group_currency
            else None
        ),
        "fx_rate": format(contract.fx_rate.normalize(), "f") if contract.fx_rate else None,
        "fx_rate_date": contract.fx_rate_date.isoformat() if contract.fx_rate_date else None,
        "lines": [
            {
                "position": line.position,
                "material": line.material_code,
                "unit": line.unit,
                "quantity": format(line.quantity.normalize(), "f"),
                "unit_price": format(line.unit_price.normalize(), "f"),
                "discount": format(line.effective_discount.normalize(), "f"),
                "net_amount": money_text(line.net_amount, currency),
                "tax_code": line.tax_code,
                "tax_rate": format(line.tax_rate.normalize(), "f"),
                "tax_amount": money_text(line.tax_amount, currency),
                "gross_amount": money_text(line.gross_amount, currency),
            }
            for line in lines
        ],
        "payment_plan": [
            {
                "position": instalment.position,
                "percent": format(instalment.percent.normalize(), "f"),
                "due_date": instalment.due_date.isoformat(),
                "amount": money_text(instalment.amount, currency),
            }
            for instalment in instalments
        ],
    }


def payment_plan(contract: Contract) -> list[PaymentInstalment]:
    return list(PaymentInstalment.objects.filter(contract=contract).order_by("position"))


def cancel(access: Access, contract: Contract, *, comment: str) -> Contract:
    """Cancel a contract before it is signed (the customer walked away, the deal was re-quoted):
    a pending approval is withdrawn, the trail records who cancelled and why. A signed contract
    is not cancelled: its orders, invoices and credit notes undo it."""
    text = (comment or "").strip()
    if not text:
        raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="comment", object=OBJECT)
    with transaction.atomic():
        contract = _locked(access, contract)
        if contract.status in (ContractStatus.SIGNED, ContractStatus.CANCELLED):
            raise _closed(contract)
        access.require(Action.RETREAT, contract)
        request = approvals.withdraw_open(contract)
        approvals.record(
            access, contract, ApprovalEvent.Kind.CANCELLED, request=request, comment=text
        )
        approvals.set_status(access, contract, ContractStatus.CANCELLED, f"cancelled:{contract.pk}")
    return contract
