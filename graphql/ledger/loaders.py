"""The DataLoaders of the ledger types, one per relation and request: a page of orders,
invoices or payments costs the same statements whatever its size (list resolvers announce
their keys with `expect_*`)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TypeVar

import graphene
from django.db.models import Model, QuerySet

from crm.graphql.core.loaders import BatchLoader
from crm.masterdata.customers.models import Customer
from crm.platform.accounts.models import User
from crm.platform.permissions.engine import Access
from crm.tenants.ledger.models import (
    Allocation,
    CreditNote,
    CreditNoteTax,
    Delivery,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
)
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import LocalCustomer

M = TypeVar("M", bound=Model)


def _by(records: QuerySet[M], keys: list[int], key: str) -> dict[int, list[M]]:
    """The records grouped by `key` (a column name), an empty list for keys without any."""
    found: dict[int, list[M]] = {pk: [] for pk in keys}
    for record in records:
        found[getattr(record, key)].append(record)
    return found


class LedgerLoaders:
    def __init__(self, access: Access) -> None:
        self.access = access
        self.group_id = access.business_unit.group_id

    # -- announcing a page --------------------------------------------------------------------

    def expect_orders(self, orders: Iterable[Order]) -> None:
        for order in orders:
            self.accounts.expect([order.account_id])
            if order.owner_id:
                self.users.expect([order.owner_id])
            self.order_lines.expect([order.pk])
            self.order_invoices.expect([order.pk])

    def expect_invoices(self, invoices: Iterable[Invoice]) -> None:
        for invoice in invoices:
            self.accounts.expect([invoice.account_id])
            if invoice.owner_id:
                self.users.expect([invoice.owner_id])
            self.invoice_lines.expect([invoice.pk])
            self.invoice_credit_notes.expect([invoice.pk])
            self.invoice_allocations.expect([invoice.pk])
            self.orders.expect([invoice.order_id])

    def expect_credit_notes(self, notes: Iterable[CreditNote]) -> None:
        for note in notes:
            self.accounts.expect([note.account_id])
            self.credit_note_taxes.expect([note.pk])
            if note.owner_id:
                self.users.expect([note.owner_id])
            self.invoices.expect([note.invoice_id])

    def expect_payments(self, payments: Iterable[Payment]) -> None:
        for payment in payments:
            self.accounts.expect([payment.payer_id])
            if payment.owner_id:
                self.users.expect([payment.owner_id])
            self.payment_allocations.expect([payment.pk])

    # -- relations ------------------------------------------------------------------------------

    @cached_property
    def accounts(self) -> BatchLoader[int, LocalCustomer | None]:
        """The BU's accounts the caller may view (None otherwise: only the id is shown)."""

        def batch(ids: list[int]) -> dict[int, LocalCustomer | None]:
            records = LocalCustomer.objects.filter(pk__in=ids)
            found = {a.pk: a for a in self.access.visible(LOCAL_CUSTOMER, records)}
            self.customer_codes.expect(account.customer_id for account in found.values())
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def customer_codes(self) -> BatchLoader[int, str | None]:
        """Golden customer codes by id (company identifiers, no personal data)."""

        def batch(ids: list[int]) -> dict[int, str | None]:
            found = dict(
                Customer.objects.filter(group_id=self.group_id, pk__in=ids).values_list(
                    "pk", "code"
                )
            )
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def users(self) -> BatchLoader[int, User | None]:
        def batch(ids: list[int]) -> dict[int, User | None]:
            found = {u.pk: u for u in User.objects.filter(group_id=self.group_id, pk__in=ids)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def orders(self) -> BatchLoader[int, Order | None]:
        """Orders by id, as references (number, status) from invoices."""

        def batch(ids: list[int]) -> dict[int, Order | None]:
            found = {o.pk: o for o in Order.objects.filter(pk__in=ids)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def invoices(self) -> BatchLoader[int, Invoice | None]:
        def batch(ids: list[int]) -> dict[int, Invoice | None]:
            found = {i.pk: i for i in Invoice.objects.filter(pk__in=ids)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def order_lines(self) -> BatchLoader[int, list[OrderLine]]:
        def batch(ids: list[int]) -> dict[int, list[OrderLine]]:
            lines = OrderLine.objects.filter(order_id__in=ids).order_by("order_id", "position")
            found = _by(lines, ids, "order_id")
            self.deliveries.expect(line.pk for group in found.values() for line in group)
            return found

        return BatchLoader(batch)

    @cached_property
    def deliveries(self) -> BatchLoader[int, list[Delivery]]:
        def batch(ids: list[int]) -> dict[int, list[Delivery]]:
            return _by(Delivery.objects.filter(line_id__in=ids).order_by("id"), ids, "line_id")

        return BatchLoader(batch)

    @cached_property
    def order_invoices(self) -> BatchLoader[int, list[Invoice]]:
        def batch(ids: list[int]) -> dict[int, list[Invoice]]:
            records = Invoice.objects.filter(order_id__in=ids).order_by("id")
            return _by(records, ids, "order_id")

        return BatchLoader(batch)

    @cached_property
    def invoice_lines(self) -> BatchLoader[int, list[InvoiceLine]]:
        def batch(ids: list[int]) -> dict[int, list[InvoiceLine]]:
            records = (
                InvoiceLine.objects.filter(invoice_id__in=ids)
                .select_related("order_line")
                .order_by("invoice_id", "position")
            )
            return _by(records, ids, "invoice_id")

        return BatchLoader(batch)

    @cached_property
    def invoice_credit_notes(self) -> BatchLoader[int, list[CreditNote]]:
        def batch(ids: list[int]) -> dict[int, list[CreditNote]]:
            records = CreditNote.objects.filter(invoice_id__in=ids).order_by("id")
            found = _by(records, ids, "invoice_id")
            self.credit_note_taxes.expect(note.pk for notes in found.values() for note in notes)
            return found

        return BatchLoader(batch)

    @cached_property
    def credit_note_taxes(self) -> BatchLoader[int, list[CreditNoteTax]]:
        def batch(ids: list[int]) -> dict[int, list[CreditNoteTax]]:
            records = CreditNoteTax.objects.filter(credit_note_id__in=ids).order_by(
                "credit_note_id", "-tax_rate", "tax_code"
            )
            return _by(records, ids, "credit_note_id")

        return BatchLoader(batch)

    @cached_property
    def invoice_allocations(self) -> BatchLoader[int, list[Allocation]]:
        def batch(ids: list[int]) -> dict[int, list[Allocation]]:
            records = (
                Allocation.objects.filter(invoice_id__in=ids)
                .select_related("invoice", "payment")
                .order_by("id")
            )
            return _by(records, ids, "invoice_id")

        return BatchLoader(batch)

    @cached_property
    def payment_allocations(self) -> BatchLoader[int, list[Allocation]]:
        def batch(ids: list[int]) -> dict[int, list[Allocation]]:
            records = (
                Allocation.objects.filter(payment_id__in=ids)
                .select_related("invoice", "payment")
                .order_by("id")
            )
            return _by(records, ids, "payment_id")

        return BatchLoader(batch)


def ledger_loaders(info: graphene.ResolveInfo) -> LedgerLoaders:
    """This request's ledger loaders (made on first use)."""
    from crm.graphql.core.permissions import access_of

    context = info.context
    loaders: LedgerLoaders | None = getattr(context, "_ledger_loaders", None)
    if loaders is None:
        loaders = LedgerLoaders(access_of(info))
        context._ledger_loaders = loaders
    return loaders
