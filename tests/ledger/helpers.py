"""Quick creators for ledger tests (import as `crm.tests.ledger.helpers`).

    with schema_context(DE):
        account = make_account("acme.de", terms="30 Tage netto")
        order = confirmed_order(finance_de(), account, [("M-001", "10", "12.50")])

Set-up helpers call the services as a BU manager or finance user: what a test checks is then
called again, as the person the test is about. Rates are the group's (CNY) spot rates: the test
world has CNY→EUR 0.128 and CNY→JPY 21.05 for today and the two days before; `rate_on` adds
others for the dates a test needs. Order lines are (material, quantity, unit price) and are
VAT-exempt (tax code `exempt`, 0 %) unless a fourth item names the tax code (`standard`,
`reduced`; see conftest.py).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.masterdata.models import ExchangeRate, Material
from crm.platform.accounts.models import Membership, Role, User
from crm.platform.permissions.engine import Access
from crm.tenants.contracts.models import Contract
from crm.tenants.ledger import invoices, orders, payments
from crm.tenants.ledger.invoices import InvoiceLineInput
from crm.tenants.ledger.models import Invoice, Order, Payment
from crm.tenants.ledger.orders import DeliveryInput, LineInput
from crm.tenants.ledger.payments import AllocationInput
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tests.relationships.helpers import access_as, business_unit, golden, schema_of

DE, JP = schema_of("acme.de"), schema_of("acme.jp")
_numbers = itertools.count(1)


def today(handle: str = "acme.de") -> datetime.date:
    return business_unit(handle).today()


def days_ago(days: int, handle: str = "acme.de") -> datetime.date:
    return today(handle) - datetime.timedelta(days=days)


def user_in(handle: str, role: str) -> str:
    """A user holding `role` in BU `handle` (made once per test), e.g. the Japanese finance."""
    username = f"{handle}.{role}.ledger"
    user = User.objects.filter(username=username).first()
    if user is None:
        unit = business_unit(handle)
        user = User.objects.create_user(username=username, password="pw", group=unit.group)
        Membership.objects.create(
            group=unit.group,
            user=user,
            role=Role.objects.get(group=unit.group, code=role),
            business_unit=unit,
        )
    return username


def finance(handle: str = "acme.de") -> Access:
    name = "acme.de.finance" if handle == "acme.de" else user_in(handle, "finance")
    return access_as(name, handle)


def manager(handle: str = "acme.de") -> Access:
    name = "acme.de.manager" if handle == "acme.de" else user_in(handle, "bu_manager")
    return access_as(name, handle)


def rate_on(day: datetime.date, quote: str, rate: str) -> None:
    """The group's CNY→`quote` spot rate on `day`."""
    unit = business_unit("acme.de")
    ExchangeRate.objects.update_or_create(
        group_id=unit.group_id,
        base="CNY",
        quote=quote,
        rate_type="SPOT",
        date=day,
        defaults={"rate": Decimal(rate), "source": "test"},
    )


def make_account(
    handle: str = "acme.de", *, terms: str = "30 Tage netto", owner: str | None = None
) -> LocalCustomer:
    """A golden customer and the BU's account for it (call inside the BU's schema)."""
    number = next(_numbers)
    unit = business_unit(handle)
    customer = golden(
        unit.group_id, f"LDG-{number}-{timezone.now().timestamp():.0f}", f"Kunde {number}"
    )
    return LocalCustomer.objects.create(
        customer_id=customer.pk,
        local_code=f"K-L{number}",
        local_name=f"Kunde {number}",
        payment_terms=terms,
        sales_owner_id=User.objects.get(username=owner).pk if owner else None,
    )


def material(code: str) -> int:
    pk: int = Material.objects.get(group__code="acme", code=code).pk
    return pk


TAX_RATES = {
    "acme.de": (Decimal("19"), Decimal("7")),
    "acme.jp": (Decimal("10"), Decimal("8")),
    "acme.hq": (Decimal("13"), Decimal("9")),  # China: 13 % goods, 9 % reduced
}


def tax_rates() -> None:
    """The BUs' tax rates: `standard` (default), `reduced` (category REDUCED), `exempt` 0 %."""
    from crm.masterdata.models import MaterialCategory
    from crm.tenants.quotes.models import TaxRate

    since = datetime.date(2020, 1, 1)
    for handle, (standard, reduced) in TAX_RATES.items():
        unit = business_unit(handle)
        category, _created = MaterialCategory.objects.get_or_create(
            group_id=unit.group_id,
            code="REDUCED",
            defaults={"name": "Reduced", "name_en": "Reduced"},
        )
        with schema_context(unit.schema_name):
            for code, rate, fields in (
                ("standard", standard, {"is_default": True}),
                ("reduced", reduced, {"material_category_id": category.pk}),
                ("exempt", Decimal(0), {}),
            ):
                TaxRate.objects.get_or_create(
                    code=code, valid_from=since, defaults={"name": code, "rate": rate, **fields}
                )


Line = tuple[str, str, str] | tuple[str, str, str, str]


def line_input(line: Line) -> LineInput:
    code, quantity, price = line[:3]
    tax = line[3] if len(line) > 3 else "exempt"
    return LineInput(material(code), quantity, price, tax_code=tax)


def make_order(
    access: Access,
    account: LocalCustomer,
    lines: Sequence[Line],
    **fields: Any,
) -> Order:
    """An order of (material code, quantity, unit price[, tax code]) lines, by a BU manager by
    default."""
    return orders.order_create(
        access, account=account, lines=[line_input(line) for line in lines], **fields
    )


def reduced(code: str) -> None:
    """Material `code` is of category REDUCED (7 % in acme.de), for this test."""
    from crm.masterdata.models import MaterialCategory

    category = MaterialCategory.objects.get(group__code="acme", code="REDUCED")
    Material.objects.filter(group__code="acme", code=code).update(category=category)


def signed_contract(
    codes: Sequence[str], quantities: Sequence[str], *, as_: str = "acme.de.sales", **fields: Any
) -> Contract:
    """A signed contract of acme.de from an accepted quote of `codes` × `quantities`, taxed by
    the BU's rates (the quote's), owned by `as_`."""
    from crm.tenants.contracts import services
    from crm.tests.contracts.helpers import make_contract

    contract = make_contract(codes=list(codes), quantities=list(quantities), as_=as_, **fields)
    access = access_as(as_, "acme.de")
    with schema_context(DE):
        return services.sign(access, services.submit(access, contract))


def confirmed_order(
    account: LocalCustomer,
    lines: Sequence[Line],
    handle: str = "acme.de",
    **fields: Any,
) -> Order:
    order = make_order(manager(handle), account, lines, **fields)
    return orders.order_confirm(manager(handle), order)


def deliver_all(order: Order, handle: str = "acme.de", **fields: Any) -> Order:
    return orders.order_deliver(
        manager(handle),
        order,
        deliveries=[DeliveryInput(line.pk, line.quantity) for line in order.lines.all()],
        **fields,
    )


def issued_invoice(
    order: Order,
    handle: str = "acme.de",
    *,
    lines: Sequence[tuple[int, str]] | None = None,
    issue_date: datetime.date | None = None,
    due_date: datetime.date | None = None,
) -> Invoice:
    """An invoice of the order (its given (order line id, quantity) or all it can take), issued."""
    draft = invoices.invoice_create(
        finance(handle),
        order=order,
        lines=None if lines is None else [InvoiceLineInput(pk, qty) for pk, qty in lines],
    )
    return invoices.invoice_issue(finance(handle), draft, issue_date=issue_date, due_date=due_date)


def delivered_invoice(
    account: LocalCustomer,
    amount: str,
    handle: str = "acme.de",
    *,
    issue_date: datetime.date | None = None,
    due_date: datetime.date | None = None,
    order_date: datetime.date | None = None,
) -> Invoice:
    """An issued invoice of `amount` (one line of 1 × M-001 at that price)."""
    order = confirmed_order(account, [("M-001", "1", amount)], handle, order_date=order_date)
    deliver_all(order, handle, delivered_on=order.order_date)
    return issued_invoice(order, handle, issue_date=issue_date, due_date=due_date)


def pay(
    account: LocalCustomer,
    amount: str,
    allocations: Sequence[tuple[Invoice, str]] = (),
    handle: str = "acme.de",
    **fields: Any,
) -> Payment:
    return payments.payment_record(
        finance(handle),
        payer=account,
        amount=amount,
        allocations=[AllocationInput(invoice.pk, value) for invoice, value in allocations],
        **fields,
    )


def refreshed(record: Any) -> Any:
    record.refresh_from_db()
    return record


def gid(kind: str, record: Any, handle: str = "acme.de") -> str:
    """The global id of a ledger record (or pk) of BU `handle`: `<Kind>:<BU id>.<pk>`."""
    from graphql_relay import to_global_id

    pk = record.pk if hasattr(record, "pk") else record
    return to_global_id(kind, f"{business_unit(handle).pk}.{pk}")


def errors_of(reply: Any) -> list[tuple[str, str | None]]:
    """The (code, field) of a mutation payload's errors (the reply has one payload)."""
    assert reply.errors == [], reply.errors
    (payload,) = reply.data.values()
    return [(error["code"], error["field"]) for error in payload["errors"]]
