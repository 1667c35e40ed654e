"""An order made from a signed contract: its lines are the contract's quote lines, as priced.

The customer ordered what the contract says, so the order takes each quote line's material,
quantity, net amount and tax code as they are (the unit price shown is the net per unit) and
comes out at the contract's net, tax and gross totals to the cent: the invoices of its deliveries
then add up to the contract's payment plan. Everything else is `order_create`'s (numbering, the
contract signed and of the account, conversion to the group currency at the order date).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contracts.models import Contract, ContractStatus
from crm.tenants.contracts.services import signed_contract
from crm.tenants.ledger.models import Order
from crm.tenants.ledger.orders import LineInput, order_create
from crm.tenants.quotes.models import QuoteLine

UNIT_PRICE = Decimal("0.0001")  # the stored precision of a unit price


def order_from_contract(
    access: Access,
    contract_id: int,
    *,
    order_date: datetime.date | None = None,
    external_reference: str = "",
    customer_reference: str = "",
    notes: str = "",
) -> Order:
    """A new open order with every line of the signed contract (NOT_FOUND, CONTRACT_NOT_SIGNED
    or RECORD_CLOSED otherwise, from `order_create`)."""
    try:
        contract = signed_contract(access, contract_id, field="contract")
    except CrmError as error:
        if error.code != ErrorCode.CONTRACT_NOT_APPROVED:
            raise
        unsigned = Contract.objects.get(pk=contract_id)
        raise CrmError(
            ErrorCode.CONTRACT_NOT_SIGNED,
            field="contract",
            contract=unsigned.number,
            status=ContractStatus(unsigned.status).label,
        ) from None
    quote_lines = QuoteLine.objects.filter(quote_id=contract.quote_id).order_by("position")
    lines = [
        LineInput(
            material_id=line.material_id,
            quantity=line.quantity,
            unit_price=(line.net_amount / line.quantity).quantize(UNIT_PRICE),
            tax_code=line.tax_code,
            amount=line.net_amount,
        )
        for line in quote_lines
    ]
    return order_create(
        access,
        account=contract.account_id,
        lines=lines,
        currency=contract.currency,
        order_date=order_date,
        contract_id=contract.pk,
        contract_number=contract.number,
        external_reference=external_reference,
        customer_reference=customer_reference,
        notes=notes,
    )
