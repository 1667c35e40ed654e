"""A business unit's sales orders: creation (from a contract or an integration), confirmation
with the credit-control hook, partial deliveries, edits and cancellation.

Every function takes the caller's `Access`, checks the policy, runs in one transaction with
the order locked, and either does everything it was asked or nothing (a typed `CrmError`).
An order's lines are priced by the caller (from the contract or the ERP): a line's net amount
is quantity × unit price rounded to the currency's minor units, its tax is at the rate the
contract's quote gave the material (or the BU's rate for it, for an order without a contract;
see `taxes`), rounded by the same rule; the order's net and tax are the sums of its lines', its
total the gross, converted to the group currency at the rate of the order date (`conversion`).
An order that names a contract (`contract_id`) is made from that contract only once it is
signed (CONTRACT_NOT_SIGNED), for its account, in its currency, with its materials.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from moneyed import Money

from crm.masterdata.access import MATERIAL
from crm.masterdata.models import Material, MaterialStatus
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import currency as known_currency
from crm.platform.core.money import round_money, valid_amount
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.contracts.models import Contract, ContractStatus
from crm.tenants.ledger import integration, taxes
from crm.tenants.ledger.access import ORDER
from crm.tenants.ledger.conversion import apply_rate, group_rate, money_text
from crm.tenants.ledger.credit import check_credit, is_credit_refusal, record_refusal
from crm.tenants.ledger.models import (
    Delivery,
    EventKind,
    InvoiceBasis,
    Order,
    OrderLine,
    OrderStatus,
    SequenceKind,
)
from crm.tenants.ledger.numbering import next_number
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import LocalCustomer

OBJECT = "order"
QUANTITY = Decimal("0.001")
MAX_QUANTITY = Decimal(10) ** 11
MAX_LINES = 500
ORDERABLE = (MaterialStatus.ACTIVE, MaterialStatus.PHASED_OUT)


@dataclass(frozen=True)
class LineInput:
    material_id: int
    quantity: Decimal | str | int
    unit_price: Decimal | str | int
    description: str = ""
    # The BU's tax rate code (e.g. "reduced"); empty: the contract's, or the BU's rule.
    tax_code: str = ""


@dataclass(frozen=True)
class DeliveryInput:
    line_id: int
    quantity: Decimal | str | int


# -- lookups --------------------------------------------------------------------------------


def orders(access: Access) -> QuerySet[Order]:
    """The orders the caller may view (with their accounts, for the policy's own scope)."""
    return access.visible(ORDER, Order.objects.select_related("account"))


def get_order(access: Access, pk: int, *, field: str = "id") -> Order:
    """An order the caller may view, or NOT_FOUND (also for ids of other BUs)."""
    order = orders(access).filter(pk=pk).first()
    if order is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=OBJECT, id=pk)
    return order


def _locked(access: Access, order: Order, *, field: str = "id") -> Order:
    locked = orders(access).select_for_update(of=("self",)).filter(pk=order.pk).first()
    if locked is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=OBJECT, id=order.pk)
    return locked


def _require_not_cancelled(order: Order) -> None:
    if order.status == OrderStatus.CANCELLED:
        raise CrmError(
            ErrorCode.RECORD_CLOSED, object=OBJECT, status=OrderStatus(order.status).label.lower()
        )


# -- checks of input ------------------------------------------------------------------------


def quantity_of(value: Decimal | str | int, *, field: str) -> Decimal:
    try:
        quantity = Decimal(str(value).strip())
    except InvalidOperation:
        quantity = Decimal("NaN")
    if (
        not quantity.is_finite()
        or quantity <= 0
        or quantity >= MAX_QUANTITY
        or quantity != quantity.quantize(QUANTITY)
    ):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field=field,
            reason="a positive quantity below 10^11 with at most 3 decimal places",
        )
    return quantity


def _unit_price(value: Decimal | str | int, *, field: str) -> Decimal:
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        price = Decimal("NaN")
    if not valid_amount(price):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field=field,
            reason="a price from 0 below 10^15 with at most 4 decimal places",
        )
    return price


def business_date(
    access: Access, day: datetime.date | None, *, field: str, not_before: datetime.date | None
) -> datetime.date:
    """A document's business date: today in the BU by default; never in the future, nor
    before `not_before` (e.g. an invoice's issue date for its credit note)."""
    today = access.business_unit.today()
    chosen = day or today
    if chosen > today:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason="a date not in the future")
    if not_before is not None and chosen < not_before:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason=f"a date on or after {not_before}"
        )
    return chosen


def account_of(access: Access, account: LocalCustomer | int, *, field: str) -> LocalCustomer:
    if isinstance(account, LocalCustomer):
        return account
    found = access.visible(LOCAL_CUSTOMER, LocalCustomer.objects.all()).filter(pk=account).first()
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="account", id=account)
    return found


def _materials(access: Access, lines: Sequence[LineInput]) -> dict[int, Material]:
    wanted = {line.material_id for line in lines}
    found = {
        material.pk: material
        for material in access.visible(
            MATERIAL,
            Material.objects.filter(group_id=access.business_unit.group_id, pk__in=wanted),
        )
    }
    for index, line in enumerate(lines):
        material = found.get(line.material_id)
        if material is None:
            raise CrmError(
                ErrorCode.NOT_FOUND,
                field=f"lines.{index}.material",
                object="material",
                id=line.material_id,
            )
        if material.status not in ORDERABLE:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field=f"lines.{index}.material",
                reason=f"material {material.code} is {material.get_status_display()}",
            )
    return found


def _signed_contract(access: Access, contract_id: int) -> Contract:
    """The signed contract an order is made from, or NOT_FOUND / CONTRACT_NOT_SIGNED /
    RECORD_CLOSED (cancelled)."""
    from crm.tenants.contracts.services import signed_contract

    try:
        return signed_contract(access, contract_id, field="contractId")
    except CrmError as error:
        if error.code != ErrorCode.CONTRACT_NOT_APPROVED:
            raise
        contract = Contract.objects.get(pk=contract_id)
        raise CrmError(
            ErrorCode.CONTRACT_NOT_SIGNED,
            field="contractId",
            contract=contract.number,
            status=ContractStatus(contract.status).label,
        ) from None


def _line_taxes(
    access: Access,
    lines: Sequence[LineInput],
    materials: dict[int, Material],
    contract: Contract | None,
    day: datetime.date,
) -> list[taxes.TaxChoice]:
    codes = [
        _text(line.tax_code, 40, f"lines.{index}.taxCode").lower()
        for index, line in enumerate(lines)
    ]
    if contract is not None:
        return taxes.from_contract(
            contract.quote_id, contract.number, [line.material_id for line in lines], codes
        )
    return taxes.from_rates(
        access.business_unit.group_id,
        day,
        [materials[line.material_id] for line in lines],
        codes,
    )


def _text(value: str, limit: int, field: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason=f"at most {limit} characters"
        )
    return text


# -- create ---------------------------------------------------------------------------------


def order_create(
    access: Access,
    *,
    account: LocalCustomer | int,
    lines: Sequence[LineInput],
    currency: str | None = None,
    order_date: datetime.date | None = None,
    contract_id: int | None = None,
    contract_number: str = "",
    external_reference: str = "",
    customer_reference: str = "",
    notes: str = "",
    invoice_basis: str = InvoiceBasis.DELIVERED,
) -> Order:
    """A new open, unconfirmed order of the account, numbered, taxed, converted at the order
    date.

    `currency` defaults to the contract's or the BU's; `order_date` to today in the BU. An
    order sent by an integration names its `external_reference`: the same reference twice is
    RECORD_DUPLICATE. An order from a signed contract (`contract_id`) takes its number, and each
    line the tax rate the contract's quote gave its material.
    """
    given = ["account", "lines", "order_date"]
    for name, value in (
        ("contract", contract_id or contract_number),
        ("external_reference", external_reference),
        ("customer_reference", customer_reference),
        ("notes", notes),
        ("invoice_basis", invoice_basis != InvoiceBasis.DELIVERED),
    ):
        if value:
            given.append(name)
    access.require(Action.CREATE, ORDER, given)
    if not lines:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="lines", reason="at least one line")
    if len(lines) > MAX_LINES:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="lines", reason=f"at most {MAX_LINES}")
    if invoice_basis not in InvoiceBasis.values:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="invoiceBasis", reason="unknown basis")
    if contract_id is not None and contract_id <= 0:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="contractId", reason="a positive id")
    business_unit = access.business_unit
    day = business_date(access, order_date, field="orderDate", not_before=None)
    reference = _text(external_reference, 100, "externalReference")
    quantities = [
        quantity_of(line.quantity, field=f"lines.{i}.quantity") for i, line in enumerate(lines)
    ]
    prices = [
        _unit_price(line.unit_price, field=f"lines.{i}.unitPrice") for i, line in enumerate(lines)
    ]
    descriptions = [
        _text(line.description, 300, f"lines.{i}.description") for i, line in enumerate(lines)
    ]
    with transaction.atomic():
        customer = account_of(access, account, field="account")
        contract = _signed_contract(access, contract_id) if contract_id is not None else None
        order_currency = known_currency(
            currency or (contract.currency if contract else business_unit.currency)
        ).code
        if contract is not None:
            if contract.account_id != customer.pk:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="account",
                    reason=f"the account of contract {contract.number}",
                )
            if order_currency != contract.currency:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="currency",
                    reason=f"{contract.currency}, the currency of contract {contract.number}",
                )
            if contract_number and contract_number.strip() != contract.number:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="contractNumber",
                    reason=f"{contract.number}, the number of contract {contract_id}",
                )
            contract_number = contract.number
        if reference and Order.objects.filter(external_reference=reference).exists():
            existing = Order.objects.get(external_reference=reference)
            raise CrmError(
                ErrorCode.RECORD_DUPLICATE,
                field="externalReference",
                object=OBJECT,
                reason="external reference",
                id=existing.number,
            )
        materials = _materials(access, lines)
        chosen = _line_taxes(access, lines, materials, contract, day)
        rate = group_rate(business_unit, order_currency, day)
        amounts = [
            round_money(Money(quantity * price, order_currency)).amount
            for quantity, price in zip(quantities, prices, strict=True)
        ]
        line_taxes = [
            taxes.tax_of(amount, choice.rate, order_currency)
            for amount, choice in zip(amounts, chosen, strict=True)
        ]
        net_total = sum(amounts, Decimal(0))
        tax_total = sum(line_taxes, Decimal(0))
        _net_group, amounts_group = rate.split(net_total, amounts)
        order = Order(
            number=next_number(SequenceKind.ORDER, day),
            account=customer,
            contract_id=contract_id,
            contract_number=_text(contract_number, 40, "contractNumber"),
            external_reference=reference,
            customer_reference=_text(customer_reference, 100, "customerReference"),
            notes=_text(notes, 5000, "notes"),
            owner_id=customer.sales_owner_id or access.principal.user_id,
            invoice_basis=invoice_basis,
            order_date=day,
            net_total=net_total,
            tax_total=tax_total,
            total=net_total + tax_total,
            total_group=rate.convert(net_total + tax_total),
        )
        apply_rate(order, rate)
        order.save()
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                position=index,
                material_id=line.material_id,
                material_code=materials[line.material_id].code,
                unit=materials[line.material_id].unit,
                description=descriptions[index - 1],
                quantity=quantities[index - 1],
                unit_price=prices[index - 1],
                amount=amounts[index - 1],
                amount_group=amounts_group[index - 1],
                tax_code=chosen[index - 1].code,
                tax_rate=chosen[index - 1].rate,
                tax_amount=line_taxes[index - 1],
            )
            for index, line in enumerate(lines, start=1)
        )
    return order


# -- confirm --------------------------------------------------------------------------------


def order_confirm(access: Access, order: Order) -> Order:
    """Confirm an open order: the credit check (`check_credit`, the hook credit control plugs
    into) runs first, inside the transaction with the order locked; a refusal from it confirms
    nothing, and is recorded after the rollback (`record_refusal`: the order then waits for
    finance). The `order.confirmed` integration event is recorded with the confirmation."""
    try:
        return _confirm(access, order)
    except CrmError as error:
        if is_credit_refusal(error):
            record_refusal(order, error, access=access)
        raise


def _confirm(access: Access, order: Order) -> Order:
    with transaction.atomic():
        locked = _locked(access, order)
        _require_not_cancelled(locked)
        access.require(Action.ADVANCE, locked)
        if locked.confirmed:
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                object=OBJECT,
                stage=OrderStatus(locked.status).label,
                direction="to confirmed (it is confirmed already)",
            )
        check_credit(locked, access=access)
        locked.confirmed = True
        locked.confirmed_at = timezone.now()
        locked.confirmed_by = access.principal.label[:200]
        locked.updated_at = locked.confirmed_at
        locked.save(update_fields=["confirmed", "confirmed_at", "confirmed_by", "updated_at"])
        integration.publish(
            EventKind.ORDER_CONFIRMED,
            business_unit=access.business_unit,
            record_type="Order",
            record_id=locked.pk,
            idempotency_key=f"{access.business_unit.handle}:order.confirmed:{locked.number}",
            data=order_data(locked),
        )
    return locked


def order_data(order: Order) -> dict[str, object]:
    """What an integration event says about an order (codes and amounts; no personal data)."""
    return {
        "number": order.number,
        "account": order.account.local_code,
        "customer_id": order.account.customer_id,
        "contract_number": order.contract_number,
        "external_reference": order.external_reference,
        "order_date": order.order_date.isoformat(),
        "currency": order.currency,
        "net_total": money_text(order.net_total, order.currency),
        "tax_total": money_text(order.tax_total, order.currency),
        "total": money_text(order.total, order.currency),
        "group_currency": order.group_currency,
        "total_group": money_text(order.total_group, order.group_currency),
        "lines": [
            {
                "position": line.position,
                "material": line.material_code,
                "quantity": str(line.quantity),
                "unit_price": format(line.unit_price.normalize(), "f"),
                "amount": money_text(line.amount, order.currency),
                "tax_code": line.tax_code,
                "tax_rate": format(line.tax_rate.normalize(), "f"),
                "tax_amount": money_text(line.tax_amount, order.currency),
            }
            for line in order.lines.order_by("position")
        ],
    }


# -- deliveries -----------------------------------------------------------------------------


def status_from_deliveries(lines: Sequence[OrderLine]) -> OrderStatus:
    if all(line.delivered_quantity >= line.quantity for line in lines):
        return OrderStatus.DELIVERED
    if any(line.delivered_quantity > 0 for line in lines):
        return OrderStatus.PARTIALLY_DELIVERED
    return OrderStatus.OPEN


def order_deliver(
    access: Access,
    order: Order,
    *,
    deliveries: Sequence[DeliveryInput],
    delivered_on: datetime.date | None = None,
    reference: str = "",
) -> Order:
    """Record quantities delivered of some lines of a confirmed order (partial deliveries);
    more than a line has left to deliver is DELIVERY_EXCEEDS_ORDER, and nothing is recorded."""
    with transaction.atomic():
        locked = _locked(access, order)
        _require_not_cancelled(locked)
        access.require(Action.EDIT, locked, ["deliveries"])
        if not locked.confirmed:
            raise CrmError(ErrorCode.ORDER_NOT_CONFIRMED, field="id", order=locked.number)
        if not deliveries:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="lines", reason="at least one line")
        day = business_date(access, delivered_on, field="deliveredOn", not_before=locked.order_date)
        text = _text(reference, 100, "reference")
        lines = {line.pk: line for line in locked.lines.select_for_update().order_by("position")}
        wanted: dict[int, Decimal] = {}
        for index, entry in enumerate(deliveries):
            line = lines.get(entry.line_id)
            if line is None:
                raise CrmError(
                    ErrorCode.NOT_FOUND,
                    field=f"lines.{index}.line",
                    object="order line",
                    id=entry.line_id,
                )
            quantity = quantity_of(entry.quantity, field=f"lines.{index}.quantity")
            wanted[line.pk] = wanted.get(line.pk, Decimal(0)) + quantity
            available = line.quantity - line.delivered_quantity
            if wanted[line.pk] > available:
                raise CrmError(
                    ErrorCode.DELIVERY_EXCEEDS_ORDER,
                    field=f"lines.{index}.quantity",
                    order=locked.number,
                    line=line.position,
                    available=available,
                )
        for line_id, quantity in wanted.items():
            lines[line_id].delivered_quantity += quantity
        OrderLine.objects.bulk_update([lines[pk] for pk in wanted], ["delivered_quantity"])
        Delivery.objects.bulk_create(
            Delivery(
                line_id=line_id,
                quantity=quantity,
                delivered_on=day,
                reference=text,
                recorded_by=access.principal.label[:200],
            )
            for line_id, quantity in wanted.items()
        )
        locked.status = status_from_deliveries(list(lines.values()))
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "updated_at"])
    return locked


# -- edits and cancellation -----------------------------------------------------------------


def order_update(
    access: Access,
    order: Order,
    *,
    customer_reference: str | None = None,
    notes: str | None = None,
) -> Order:
    """Change the customer's reference or the notes of an order that is not cancelled."""
    with transaction.atomic():
        locked = _locked(access, order)
        _require_not_cancelled(locked)
        changes = {
            name: value
            for name, value in (("customer_reference", customer_reference), ("notes", notes))
            if value is not None
        }
        access.require(Action.EDIT, locked, list(changes))
        if "customer_reference" in changes:
            locked.customer_reference = _text(
                changes["customer_reference"], 100, "customerReference"
            )
        if "notes" in changes:
            locked.notes = _text(changes["notes"], 5000, "notes")
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changes, "updated_at"])
    return locked


def order_cancel(access: Access, order: Order) -> Order:
    """Cancel an order nothing was delivered or invoiced from (else INVALID_STAGE_CHANGE)."""
    with transaction.atomic():
        locked = _locked(access, order)
        _require_not_cancelled(locked)
        access.require(Action.RETREAT, locked)
        lines = list(locked.lines.all())
        if any(line.delivered_quantity or line.invoiced_quantity for line in lines):
            raise CrmError(
                ErrorCode.INVALID_STAGE_CHANGE,
                object=OBJECT,
                stage=OrderStatus(locked.status).label,
                direction="to cancelled (it was delivered or invoiced in part)",
            )
        locked.status = OrderStatus.CANCELLED
        locked.cancelled_on = access.business_unit.today()
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "cancelled_on", "updated_at"])
    return locked
