"""Quick creators for credit-control tests (import as `crm.tests.creditcontrol.helpers`).

    one_cell()                        # every acme BU in this (cn) cell: nothing asked over HTTP
    customer = credit_customer()      # a golden customer of acme, accounts in DE, JP and HQ
    open_order("acme.jp", customer, "10000")   # exposure in the Japanese BU (JPY)
    set_limit(customer, "1000.00")
    order = new_order(customer, "100")          # an unconfirmed order in DE (EUR)
    error = refused(lambda: confirm(order))

The test world's group currency is CNY; 1 EUR = 7.8125 CNY (CNY→EUR 0.128), so 100 EUR is
781.25 CNY. Exposure made in other BUs is read back from the documents' stored group amounts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.masterdata.customers.models import Customer
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import orders
from crm.tenants.ledger.models import Order
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit
from crm.tests.ledger.helpers import (
    confirmed_order,
    deliver_all,
    issued_invoice,
    make_order,
    manager,
)
from crm.tests.relationships.helpers import business_unit, golden, schema_of

DE = schema_of("acme.de")
_numbers = itertools.count(1)


def one_cell(group: str = "acme") -> None:
    """Home every BU of the group in this cell (cn), as a group living in one region: the
    credit check's fan-out computes them all in-process (rolled back with the test)."""
    BusinessUnit.objects.filter(group__code=group).update(region_id="cn")


def credit_customer(
    *, limit: str | None = None, handles: tuple[str, ...] = ("acme.de", "acme.jp", "acme.hq")
) -> Customer:
    """A golden customer of acme with an account in each BU of `handles`."""
    number = next(_numbers)
    unit = business_unit("acme.de")
    customer = golden(
        unit.group_id,
        f"CC-{number}-{timezone.now().timestamp():.0f}"[:20],
        f"Kredit {number} GmbH",
        credit_limit=Decimal(limit) if limit is not None else None,
    )
    for handle in handles:
        account_in(handle, customer)
    return customer


def account_in(handle: str, customer: Customer) -> LocalCustomer:
    with schema_context(schema_of(handle)):
        found = LocalCustomer.objects.filter(customer_id=customer.pk).first()
        if found is None:
            found = LocalCustomer.objects.create(
                customer_id=customer.pk,
                local_code=f"CC-{customer.pk}",
                local_name=customer.legal_name,
            )
        return found


def set_limit(customer: Customer, amount: str | Decimal | None) -> None:
    Customer.objects.filter(pk=customer.pk).update(
        credit_limit=None if amount is None else Decimal(amount)
    )


def open_order(handle: str, customer: Customer, unit_price: str, quantity: str = "1") -> Order:
    """A confirmed order of the customer in BU `handle`, nothing invoiced (open order value)."""
    with schema_context(schema_of(handle)):
        return confirmed_order(
            account_in(handle, customer), [("M-001", quantity, unit_price)], handle
        )


def open_invoice(handle: str, customer: Customer, unit_price: str) -> Order:
    """An issued, unpaid invoice of the customer in BU `handle` (its order invoiced in full)."""
    with schema_context(schema_of(handle)):
        order = confirmed_order(account_in(handle, customer), [("M-001", "1", unit_price)], handle)
        deliver_all(order, handle)
        issued_invoice(order, handle)
        order.refresh_from_db()
        return order


def new_order(
    customer: Customer, unit_price: str, *, handle: str = "acme.de", quantity: str = "1"
) -> Order:
    """An open, unconfirmed order of the customer in BU `handle`."""
    with schema_context(schema_of(handle)):
        return make_order(
            manager(handle), account_in(handle, customer), [("M-001", quantity, unit_price)]
        )


def confirm(order: Order, access: Access | None = None, handle: str = "acme.de") -> Order:
    with schema_context(schema_of(handle)):
        return orders.order_confirm(access or manager(handle), order)


def refused(call: Callable[[], Any]) -> CrmError:
    with pytest.raises(CrmError) as caught:
        call()
    return caught.value


def in_schema(handle: str, call: Callable[[], Any]) -> Any:
    with schema_context(schema_of(handle)):
        return call()
