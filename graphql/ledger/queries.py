"""Ledger queries: one document by id, the documents you may view (filtered, keyset-paged,
newest first), the receivables aging, and the integration events (graphql/ledger/integration.py).

Filters are allowed only on fields the caller can read in every document they may view
(FIELD_FORBIDDEN otherwise), so a filter never reveals a hidden value. `customer` is a golden
customer (Customer:<pk>), `account` the BU's account of one (Account:<pk>).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import graphene
from django.db.models import Model, QuerySet
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.ledger.integration import IntegrationQueries
from crm.graphql.ledger.loaders import ledger_loaders
from crm.graphql.ledger.types import (
    CreditNote,
    CreditNoteConnection,
    Invoice,
    InvoiceConnection,
    InvoiceStatus,
    Order,
    OrderConnection,
    OrderStatus,
    Payment,
    PaymentConnection,
    ReceivablesAging,
)
from crm.graphql.masterdata.queries import forward_only
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import ObjectType
from crm.tenants.ledger import invoices, models, orders, payments, receivables
from crm.tenants.ledger.access import CREDIT_NOTE, INVOICE, ORDER, PAYMENT
from crm.tenants.ledger.receivables import Aging

M = TypeVar("M", bound=Model)


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


class OrderFilter(graphene.InputObjectType):
    account = graphene.ID(description="Account:<pk>")
    customer = graphene.ID(description="Customer:<pk> (golden)")
    status = graphene.List(graphene.NonNull(OrderStatus))
    confirmed = graphene.Boolean()
    order_date_from = graphene.Date(description="Inclusive.")
    order_date_to = graphene.Date(description="Inclusive.")
    contract_number = graphene.String()


class InvoiceFilter(graphene.InputObjectType):
    account = graphene.ID(description="Account:<pk>")
    customer = graphene.ID(description="Customer:<pk> (golden)")
    order = graphene.ID(description="Order:<pk>")
    status = graphene.List(graphene.NonNull(InvoiceStatus))
    due_from = graphene.Date(description="Due on or after (inclusive).")
    due_to = graphene.Date(description="Due on or before (inclusive).")
    issued_from = graphene.Date()
    issued_to = graphene.Date()


class CreditNoteFilter(graphene.InputObjectType):
    account = graphene.ID(description="Account:<pk>")
    customer = graphene.ID(description="Customer:<pk> (golden)")
    invoice = graphene.ID(description="Invoice:<pk>")


class PaymentFilter(graphene.InputObjectType):
    payer = graphene.ID(description="Account:<pk>")
    customer = graphene.ID(description="Customer:<pk> (golden)")
    received_from = graphene.Date()
    received_to = graphene.Date()
    with_unallocated = graphene.Boolean(description="Only payments with credit left.")


class _Filters(Generic[M]):
    """Applies one list's filters, each on a field the caller reads everywhere."""

    def __init__(self, access: Access, object_type: ObjectType, queryset: QuerySet[M]) -> None:
        self.access, self.object_type, self.queryset = access, object_type, queryset

    def add(self, field: str, argument: str, **lookup: Any) -> None:
        self.access.require_readable(self.object_type, field, argument=argument)
        self.queryset = self.queryset.filter(**lookup)


def _customer_lookup(value: str, column: str) -> dict[str, Any]:
    return {f"{column}__customer_id": pk_of("Customer", value, field="customer")}


def filtered_orders(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Order]:
    given, found = filter or {}, _Filters(access, ORDER, orders.orders(access))
    if given.get("account"):
        found.add(
            "account", "account", account_id=pk_of("Account", given["account"], field="account")
        )
    if given.get("customer"):
        found.add("account", "customer", **_customer_lookup(given["customer"], "account"))
    if given.get("status"):
        found.add("status", "status", status__in=[_value(s) for s in given["status"]])
    if given.get("confirmed") is not None:
        found.add("confirmed", "confirmed", confirmed=given["confirmed"])
    if given.get("order_date_from"):
        found.add("order_date", "orderDateFrom", order_date__gte=given["order_date_from"])
    if given.get("order_date_to"):
        found.add("order_date", "orderDateTo", order_date__lte=given["order_date_to"])
    if given.get("contract_number"):
        found.add("contract", "contractNumber", contract_number=given["contract_number"])
    return found.queryset


def filtered_invoices(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Invoice]:
    given, found = filter or {}, _Filters(access, INVOICE, invoices.invoices(access))
    if given.get("account"):
        found.add(
            "account", "account", account_id=pk_of("Account", given["account"], field="account")
        )
    if given.get("customer"):
        found.add("account", "customer", **_customer_lookup(given["customer"], "account"))
    if given.get("order"):
        found.add("order", "order", order_id=pk_of("Order", given["order"], field="order"))
    if given.get("status"):
        found.add("status", "status", status__in=[_value(s) for s in given["status"]])
    if given.get("due_from"):
        found.add("due_date", "dueFrom", due_date__gte=given["due_from"])
    if given.get("due_to"):
        found.add("due_date", "dueTo", due_date__lte=given["due_to"])
    if given.get("issued_from"):
        found.add("issue_date", "issuedFrom", issue_date__gte=given["issued_from"])
    if given.get("issued_to"):
        found.add("issue_date", "issuedTo", issue_date__lte=given["issued_to"])
    return found.queryset


def filtered_credit_notes(
    access: Access, filter: dict[str, Any] | None
) -> QuerySet[models.CreditNote]:
    given, found = filter or {}, _Filters(access, CREDIT_NOTE, invoices.credit_notes(access))
    if given.get("account"):
        found.add(
            "account", "account", account_id=pk_of("Account", given["account"], field="account")
        )
    if given.get("customer"):
        found.add("account", "customer", **_customer_lookup(given["customer"], "account"))
    if given.get("invoice"):
        found.add(
            "invoice", "invoice", invoice_id=pk_of("Invoice", given["invoice"], field="invoice")
        )
    return found.queryset


def filtered_payments(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Payment]:
    given, found = filter or {}, _Filters(access, PAYMENT, payments.payments(access))
    if given.get("payer"):
        found.add("payer", "payer", payer_id=pk_of("Account", given["payer"], field="payer"))
    if given.get("customer"):
        found.add("payer", "customer", **_customer_lookup(given["customer"], "payer"))
    if given.get("received_from"):
        found.add("received_on", "receivedFrom", received_on__gte=given["received_from"])
    if given.get("received_to"):
        found.add("received_on", "receivedTo", received_on__lte=given["received_to"])
    if given.get("with_unallocated"):
        found.add("unallocated_amount", "withUnallocated", unallocated_amount__gt=0)
    return found.queryset


def _one(
    info: graphene.ResolveInfo, kind: str, global_id: str, get: Callable[[Access, int], M]
) -> M:
    try:
        return get(caller(info), pk_of(kind, global_id))
    except CrmError as error:
        raise graphql_error(error) from error


def _page(
    info: graphene.ResolveInfo,
    kind: str,
    queryset: Callable[[Access], QuerySet[M]],
    ordering: Ordering,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Any:
    try:
        forward_only(last, before)
        page = keyset_page(
            queryset(caller(info)), kind=kind, key="id", first=first, after=after, ordering=ordering
        )
    except CrmError as error:
        raise graphql_error(error) from error
    return page


def _connection_field(connection: type[Any], filter_type: type[Any], text: str) -> Any:
    return relay.ConnectionField(
        connection, filter=graphene.Argument(filter_type), description=text
    )


class LedgerQueries(IntegrationQueries, graphene.ObjectType):
    order = graphene.Field(Order, id=graphene.ID(required=True), description="One order.")
    orders = _connection_field(
        OrderConnection, OrderFilter, "The business unit's orders you may view; newest first."
    )
    invoice = graphene.Field(Invoice, id=graphene.ID(required=True), description="One invoice.")
    invoices = _connection_field(
        InvoiceConnection, InvoiceFilter, "The invoices you may view; newest first."
    )
    credit_note = graphene.Field(
        CreditNote, id=graphene.ID(required=True), description="One credit note."
    )
    credit_notes = _connection_field(
        CreditNoteConnection, CreditNoteFilter, "The credit notes you may view; newest first."
    )
    payment = graphene.Field(Payment, id=graphene.ID(required=True), description="One payment.")
    payments = _connection_field(
        PaymentConnection, PaymentFilter, "The payments you may view; latest received first."
    )
    receivables_aging = graphene.Field(
        ReceivablesAging,
        as_of=graphene.Date(description="Today in the business unit by default."),
        account=graphene.ID(description="Only this account (Account:<pk>)."),
        required=True,
        description=(
            "Open invoices by account and currency in buckets of days past due (current, "
            "1–30, 31–60, 61–90, over 90) as of a date, with unapplied cash; of the invoices "
            "you may view."
        ),
    )

    @staticmethod
    def resolve_order(_root: None, info: graphene.ResolveInfo, id: str) -> models.Order:
        order = _one(info, "Order", id, orders.get_order)
        ledger_loaders(info).expect_orders([order])
        return order

    @staticmethod
    def resolve_orders(
        _root: None, info: graphene.ResolveInfo, filter: dict[str, Any] | None = None, **page: Any
    ) -> Any:
        found = _page(
            info,
            "Order",
            lambda access: filtered_orders(access, filter),
            Ordering("order_date", descending=True),
            page.get("first"),
            page.get("after"),
            page.get("last"),
            page.get("before"),
        )
        ledger_loaders(info).expect_orders(found.records)
        return connection_from_page(OrderConnection, found)

    @staticmethod
    def resolve_invoice(_root: None, info: graphene.ResolveInfo, id: str) -> models.Invoice:
        invoice = _one(info, "Invoice", id, invoices.get_invoice)
        ledger_loaders(info).expect_invoices([invoice])
        return invoice

    @staticmethod
    def resolve_invoices(
        _root: None, info: graphene.ResolveInfo, filter: dict[str, Any] | None = None, **page: Any
    ) -> Any:
        found = _page(
            info,
            "Invoice",
            lambda access: filtered_invoices(access, filter),
            Ordering("created_at", descending=True),
            page.get("first"),
            page.get("after"),
            page.get("last"),
            page.get("before"),
        )
        ledger_loaders(info).expect_invoices(found.records)
        return connection_from_page(InvoiceConnection, found)

    @staticmethod
    def resolve_credit_note(_root: None, info: graphene.ResolveInfo, id: str) -> models.CreditNote:
        note = _one(info, "CreditNote", id, invoices.get_credit_note)
        ledger_loaders(info).expect_credit_notes([note])
        return note

    @staticmethod
    def resolve_credit_notes(
        _root: None, info: graphene.ResolveInfo, filter: dict[str, Any] | None = None, **page: Any
    ) -> Any:
        found = _page(
            info,
            "CreditNote",
            lambda access: filtered_credit_notes(access, filter),
            Ordering("issue_date", descending=True),
            page.get("first"),
            page.get("after"),
            page.get("last"),
            page.get("before"),
        )
        ledger_loaders(info).expect_credit_notes(found.records)
        return connection_from_page(CreditNoteConnection, found)

    @staticmethod
    def resolve_payment(_root: None, info: graphene.ResolveInfo, id: str) -> models.Payment:
        payment = _one(info, "Payment", id, payments.get_payment)
        ledger_loaders(info).expect_payments([payment])
        return payment

    @staticmethod
    def resolve_payments(
        _root: None, info: graphene.ResolveInfo, filter: dict[str, Any] | None = None, **page: Any
    ) -> Any:
        found = _page(
            info,
            "Payment",
            lambda access: filtered_payments(access, filter),
            Ordering("received_on", descending=True),
            page.get("first"),
            page.get("after"),
            page.get("last"),
            page.get("before"),
        )
        ledger_loaders(info).expect_payments(found.records)
        return connection_from_page(PaymentConnection, found)

    @staticmethod
    def resolve_receivables_aging(
        _root: None,
        info: graphene.ResolveInfo,
        as_of: datetime.date | None = None,
        account: str | None = None,
    ) -> Aging:
        try:
            access = caller(info)
            accounts = [pk_of("Account", account, field="account")] if account else None
            aging = receivables.receivables_aging(access, as_of=as_of, accounts=accounts)
        except CrmError as error:
            raise graphql_error(error) from error
        return aging
