"""GraphQL types of orders, invoices, credit notes, payments and the receivables aging.

Governed fields (tenants/ledger/access.py) are null with FIELD_FORBIDDEN where the policy hides
them; relations load through the ledger loaders (graphql/ledger/loaders.py). Amounts are Money
at the currency's minor units (unit prices keep their finer precision); every document shows
its amounts in the group currency too, and `conversion` says at which rate of which date.
Lines are net with their tax (code, rate, amount); documents show net, tax and the gross total,
and their tax by rate (`taxes`), as a German invoice states 19 % and 7 % VAT apart.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import graphene
from graphene import relay
from graphql_relay import to_global_id
from moneyed import Money as MoneyValue

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import BusinessUnitScopedId, scoped_global_id
from crm.graphql.core.pagination import (
    CountedConnection,
    decode_cursor,
    encode_cursor,
    page_size,
)
from crm.graphql.core.permissions import permissions_field
from crm.graphql.core.types import Money
from crm.graphql.ledger.loaders import ledger_loaders
from crm.graphql.opportunities.types import DealUser
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import round_money
from crm.tenants.ledger import models
from crm.tenants.ledger.access import CREDIT_NOTE, INVOICE, ORDER, PAYMENT
from crm.tenants.ledger.receivables import BUCKETS, Aging
from crm.tenants.ledger.receivables import AgingRow as AgingRowValue
from crm.tenants.ledger.taxes import TaxPart, by_rate, plain
from crm.tenants.localcustomers.models import LocalCustomer

OrderStatus = graphene.Enum.from_enum(models.OrderStatus)
InvoiceStatus = graphene.Enum.from_enum(models.InvoiceStatus)
InvoiceBasis = graphene.Enum.from_enum(models.InvoiceBasis)


def money(amount: Decimal | None, currency: str) -> MoneyValue | None:
    """The amount at its currency's minor units, or with the finer precision it has."""
    if amount is None:
        return None
    rounded = round_money(MoneyValue(amount, currency))
    if rounded.amount == amount:
        return rounded
    return MoneyValue(amount.normalize(), currency)


class LedgerAccount(graphene.ObjectType):
    """The BU account of a document: its id, and its codes if you may view the account."""

    id = graphene.ID(required=True, description="Account:<pk>")
    local_code = graphene.String()
    local_name = graphene.String()
    customer_code = graphene.String(description="The golden customer's code.")

    @staticmethod
    def resolve_id(root: tuple[int, LocalCustomer | None], _info: graphene.ResolveInfo) -> str:
        return scoped_global_id("Account", root[0])

    @staticmethod
    def resolve_local_code(root: tuple[int, LocalCustomer | None], _i: Any) -> str | None:
        return root[1].local_code if root[1] else None

    @staticmethod
    def resolve_local_name(root: tuple[int, LocalCustomer | None], _i: Any) -> str | None:
        return root[1].local_name if root[1] else None

    @staticmethod
    def resolve_customer_code(
        root: tuple[int, LocalCustomer | None], info: graphene.ResolveInfo
    ) -> str | None:
        if root[1] is None:
            return None
        return ledger_loaders(info).customer_codes.load(root[1].customer_id)


def _account(account_id: int, info: graphene.ResolveInfo) -> tuple[int, LocalCustomer | None]:
    return (account_id, ledger_loaders(info).accounts.load(account_id))


class DocumentConversion(graphene.ObjectType):
    """How a document's amounts were converted to the group currency: the group's rate of its
    business date (the latest on or before it), of which type and of which date."""

    currency = graphene.String(required=True)
    group_currency = graphene.String(required=True)
    date = graphene.Date(required=True, description="The document's business date.")
    rate = graphene.Decimal(required=True, description="1 unit of currency in group currency.")
    rate_type = graphene.String(required=True)
    rate_date = graphene.Date(required=True, description="The rate's own date.")

    @staticmethod
    def resolve_date(root: models.Converted, _info: graphene.ResolveInfo) -> object:
        return root.fx_date

    @staticmethod
    def resolve_rate(root: models.Converted, _info: graphene.ResolveInfo) -> object:
        return root.fx_rate.normalize() if root.fx_rate is not None else None

    @staticmethod
    def resolve_rate_type(root: models.Converted, _info: graphene.ResolveInfo) -> str:
        return root.fx_rate_type

    @staticmethod
    def resolve_rate_date(root: models.Converted, _info: graphene.ResolveInfo) -> object:
        return root.fx_rate_date


def _conversion(root: models.Converted, _info: graphene.ResolveInfo) -> models.Converted | None:
    return root if root.fx_rate is not None else None


class TaxBreakdown(graphene.ObjectType):
    """A document's net and tax at one rate."""

    code = graphene.String(required=True, description="The BU's tax rate code.")
    rate = graphene.Decimal(required=True, description="In %.")
    net = graphene.Field(Money, required=True)
    tax = graphene.Field(Money, required=True)
    gross = graphene.Field(Money, required=True)

    @staticmethod
    def resolve_code(root: tuple[TaxPart, str], _info: graphene.ResolveInfo) -> str:
        return root[0].code

    @staticmethod
    def resolve_rate(root: tuple[TaxPart, str], _info: graphene.ResolveInfo) -> Decimal:
        return root[0].rate

    @staticmethod
    def resolve_net(root: tuple[TaxPart, str], _info: graphene.ResolveInfo) -> object:
        return money(root[0].net, root[1])

    @staticmethod
    def resolve_tax(root: tuple[TaxPart, str], _info: graphene.ResolveInfo) -> object:
        return money(root[0].tax, root[1])

    @staticmethod
    def resolve_gross(root: tuple[TaxPart, str], _info: graphene.ResolveInfo) -> object:
        return money(root[0].gross, root[1])


def _breakdown(parts: list[TaxPart], currency: str) -> list[tuple[TaxPart, str]]:
    return [(part, currency) for part in parts]


class DocumentReference(graphene.ObjectType):
    """Another document by its id and number (e.g. the invoice an allocation settles)."""

    id = graphene.ID(required=True)
    number = graphene.String()
    status = graphene.String()


def _reference(kind: str, record: Any) -> DocumentReference | None:
    if record is None:
        return None
    return DocumentReference(
        id=scoped_global_id(kind, record.pk),
        number=record.number,
        status=getattr(record, "status", None),
    )


# -- orders ---------------------------------------------------------------------------------


class Delivery(graphene.ObjectType):
    """A quantity of an order line delivered on a date."""

    quantity = graphene.Decimal(required=True)
    delivered_on = graphene.Date(required=True)
    reference = graphene.String(required=True)
    recorded_by = graphene.String(required=True)
    recorded_at = graphene.DateTime(required=True)


class OrderLine(graphene.ObjectType):
    id = graphene.ID(required=True, description="OrderLine:<BU>.<pk>, for deliveries, invoices.")
    position = graphene.Int(required=True)
    material_id = graphene.ID(required=True, description="Material:<pk>")
    material_code = graphene.String(required=True)
    unit = graphene.String(required=True)
    description = graphene.String(required=True)
    quantity = graphene.Decimal(required=True)
    unit_price = graphene.Field(Money, required=True)
    amount = graphene.Field(Money, required=True, description="Net.")
    amount_group = graphene.Field(Money, required=True, description="Net, in group currency.")
    tax_code = graphene.String(required=True, description="The BU's tax rate code.")
    tax_rate = graphene.Decimal(required=True, description="In %, from the contract's quote.")
    tax_amount = graphene.Field(Money, required=True)
    gross_amount = graphene.Field(Money, required=True, description="Net + tax.")
    delivered_quantity = graphene.Decimal(required=True)
    invoiced_quantity = graphene.Decimal(
        required=True, description="Taken by invoices not cancelled (drafts too)."
    )
    deliveries = graphene.List(graphene.NonNull(Delivery), required=True)

    @staticmethod
    def resolve_id(root: models.OrderLine, _info: graphene.ResolveInfo) -> str:
        return scoped_global_id("OrderLine", root.pk)

    @staticmethod
    def resolve_material_id(root: models.OrderLine, _info: graphene.ResolveInfo) -> str:
        return to_global_id("Material", root.material_id)

    @staticmethod
    def resolve_unit_price(root: models.OrderLine, _info: graphene.ResolveInfo) -> object:
        return money(root.unit_price, root.order.currency)

    @staticmethod
    def resolve_amount(root: models.OrderLine, _info: graphene.ResolveInfo) -> object:
        return money(root.amount, root.order.currency)

    @staticmethod
    def resolve_amount_group(root: models.OrderLine, _info: graphene.ResolveInfo) -> object:
        return money(root.amount_group, root.order.group_currency)

    @staticmethod
    def resolve_tax_rate(root: models.OrderLine, _info: graphene.ResolveInfo) -> Decimal:
        return plain(root.tax_rate)

    @staticmethod
    def resolve_tax_amount(root: models.OrderLine, _info: graphene.ResolveInfo) -> object:
        return money(root.tax_amount, root.order.currency)

    @staticmethod
    def resolve_gross_amount(root: models.OrderLine, _info: graphene.ResolveInfo) -> object:
        return money(root.amount + root.tax_amount, root.order.currency)

    @staticmethod
    def resolve_deliveries(root: models.OrderLine, info: graphene.ResolveInfo) -> object:
        return ledger_loaders(info).deliveries.load(root.pk)


class ContractReference(graphene.ObjectType):
    """The contract an order comes from (the contracts area links it later)."""

    id = graphene.Int(description="The contract's id in this business unit.")
    number = graphene.String(required=True)


class Order(BusinessUnitScopedId, graphene.ObjectType):
    """A sales order of the business unit. Fields are null where the policy hides them."""

    class Meta:
        interfaces = (relay.Node,)

    number = graphene.String()
    account = graphene.Field(LedgerAccount)
    contract = graphene.Field(ContractReference)
    external_reference = graphene.String(description="The sender's id (e.g. the ERP's).")
    customer_reference = graphene.String(description="The customer's purchase order number.")
    notes = graphene.String()
    owner = graphene.Field(DealUser, description="The salesperson responsible.")
    status = graphene.Field(OrderStatus)
    invoice_basis = graphene.Field(InvoiceBasis)
    order_date = graphene.Date()
    confirmed = graphene.Boolean()
    confirmed_at = graphene.DateTime()
    net_total = graphene.Field(Money, description="The lines' net amounts.")
    tax_total = graphene.Field(Money, description="The lines' tax.")
    taxes = graphene.List(graphene.NonNull(TaxBreakdown), description="Net and tax by rate.")
    total = graphene.Field(Money, description="Gross (net + tax), in the order's currency.")
    total_group = graphene.Field(Money, description="The gross in the group's currency.")
    conversion = graphene.Field(DocumentConversion, resolver=_conversion)
    invoiced_amount = graphene.Field(Money, description="What issued invoices took from it.")
    lines = graphene.List(graphene.NonNull(OrderLine))
    deliveries = graphene.List(graphene.NonNull(Delivery), description="Of every line.")
    invoices = graphene.List(graphene.NonNull(DocumentReference))
    created_at = graphene.DateTime(required=True)
    permissions = permissions_field(ORDER)

    @staticmethod
    def resolve_account(root: models.Order, info: graphene.ResolveInfo) -> object:
        return _account(root.account_id, info)

    @staticmethod
    def resolve_contract(root: models.Order, _info: graphene.ResolveInfo) -> object:
        if root.contract_id is None and not root.contract_number:
            return None
        return ContractReference(id=root.contract_id, number=root.contract_number)

    @staticmethod
    def resolve_owner(root: models.Order, info: graphene.ResolveInfo) -> object:
        return ledger_loaders(info).users.load(root.owner_id) if root.owner_id else None

    @staticmethod
    def resolve_status(root: models.Order, _info: graphene.ResolveInfo) -> object:
        return models.OrderStatus(root.status)

    @staticmethod
    def resolve_invoice_basis(root: models.Order, _info: graphene.ResolveInfo) -> object:
        return models.InvoiceBasis(root.invoice_basis)

    @staticmethod
    def resolve_net_total(root: models.Order, _info: graphene.ResolveInfo) -> object:
        return money(root.net_total, root.currency)

    @staticmethod
    def resolve_tax_total(root: models.Order, _info: graphene.ResolveInfo) -> object:
        return money(root.tax_total, root.currency)

    @staticmethod
    def resolve_taxes(root: models.Order, info: graphene.ResolveInfo) -> object:
        lines = ledger_loaders(info).order_lines.load(root.pk)
        return _breakdown(by_rate(lines), root.currency)

    @staticmethod
    def resolve_total(root: models.Order, _info: graphene.ResolveInfo) -> object:
        return money(root.total, root.currency)

    @staticmethod
    def resolve_total_group(root: models.Order, _info: graphene.ResolveInfo) -> object:
        return money(root.total_group, root.group_currency)

    @staticmethod
    def resolve_invoiced_amount(root: models.Order, _info: graphene.ResolveInfo) -> object:
        return money(root.invoiced_amount, root.currency)

    @staticmethod
    def resolve_lines(root: models.Order, info: graphene.ResolveInfo) -> object:
        lines = ledger_loaders(info).order_lines.load(root.pk)
        for line in lines:
            line.order = root  # the currency, without a statement per line
        return lines

    @staticmethod
    def resolve_deliveries(root: models.Order, info: graphene.ResolveInfo) -> object:
        loaders = ledger_loaders(info)
        return [
            delivery
            for line in loaders.order_lines.load(root.pk)
            for delivery in loaders.deliveries.load(line.pk)
        ]

    @staticmethod
    def resolve_invoices(root: models.Order, info: graphene.ResolveInfo) -> object:
        return [
            _reference("Invoice", invoice)
            for invoice in ledger_loaders(info).order_invoices.load(root.pk)
        ]


class OrderConnection(CountedConnection):
    class Meta:
        node = Order


# -- invoices and credit notes --------------------------------------------------------------


class InvoiceLine(graphene.ObjectType):
    position = graphene.Int(required=True)
    order_line = graphene.ID(required=True, description="OrderLine:<BU>.<pk>")
    material_code = graphene.String(required=True)
    quantity = graphene.Decimal(required=True)
    unit_price = graphene.Field(Money, required=True)
    amount = graphene.Field(Money, required=True, description="Net.")
    amount_group = graphene.Field(Money, description="Net; null until the invoice is issued.")
    tax_code = graphene.String(required=True)
    tax_rate = graphene.Decimal(required=True, description="In %, the order line's.")
    tax_amount = graphene.Field(Money, required=True)
    gross_amount = graphene.Field(Money, required=True, description="Net + tax.")

    @staticmethod
    def resolve_order_line(root: models.InvoiceLine, _info: graphene.ResolveInfo) -> str:
        return scoped_global_id("OrderLine", root.order_line_id)

    @staticmethod
    def resolve_material_code(root: models.InvoiceLine, _info: graphene.ResolveInfo) -> str:
        return root.order_line.material_code

    @staticmethod
    def resolve_unit_price(root: models.InvoiceLine, _info: graphene.ResolveInfo) -> object:
        return money(root.unit_price, root.invoice.currency)

    @staticmethod
    def resolve_amount(root: models.InvoiceLine, _info: graphene.ResolveInfo) -> object:
        return money(root.amount, root.invoice.currency)

    @staticmethod
    def resolve_amount_group(root: models.InvoiceLine, _info: graphene.ResolveInfo) -> object:
        return money(root.amount_group, root.invoice.group_currency)

    @staticmethod
    def resolve_tax_rate(root: models.InvoiceLine, _info: graphene.ResolveInfo) -> Decimal:
        return plain(root.tax_rate)

    @staticmethod
    def resolve_tax_amount(root: models.InvoiceLine, _info: graphene.ResolveInfo) -> object:
        return money(root.tax_amount, root.invoice.currency)

    @staticmethod
    def resolve_gross_amount(root: models.InvoiceLine, _info: graphene.ResolveInfo) -> object:
        return money(root.amount + root.tax_amount, root.invoice.currency)


class Allocation(graphene.ObjectType):
    """Part of a payment settling an invoice."""

    payment = graphene.Field(DocumentReference, required=True)
    invoice = graphene.Field(DocumentReference, required=True)
    amount = graphene.Field(Money, required=True)
    amount_group = graphene.Field(Money, required=True, description="At the payment's rate.")
    allocated_on = graphene.Date(required=True)
    allocated_by = graphene.String(required=True)

    @staticmethod
    def resolve_payment(root: models.Allocation, _info: graphene.ResolveInfo) -> object:
        return _reference("Payment", root.payment)

    @staticmethod
    def resolve_invoice(root: models.Allocation, _info: graphene.ResolveInfo) -> object:
        return _reference("Invoice", root.invoice)

    @staticmethod
    def resolve_amount(root: models.Allocation, _info: graphene.ResolveInfo) -> object:
        return money(root.amount, root.payment.currency)

    @staticmethod
    def resolve_amount_group(root: models.Allocation, _info: graphene.ResolveInfo) -> object:
        return money(root.amount_group, root.payment.group_currency)


class CreditNote(BusinessUnitScopedId, graphene.ObjectType):
    """An amount credited on an issued invoice."""

    class Meta:
        interfaces = (relay.Node,)

    number = graphene.String()
    invoice = graphene.Field(DocumentReference)
    account = graphene.Field(LedgerAccount)
    owner = graphene.Field(DealUser)
    issue_date = graphene.Date()
    reason = graphene.String()
    amount = graphene.Field(Money, description="Gross: net + tax credited.")
    net_amount = graphene.Field(Money)
    tax_amount = graphene.Field(Money, description="The invoice's tax, in proportion.")
    taxes = graphene.List(graphene.NonNull(TaxBreakdown), description="Net and tax by rate.")
    amount_group = graphene.Field(Money)
    conversion = graphene.Field(DocumentConversion, resolver=_conversion)
    permissions = permissions_field(CREDIT_NOTE)

    @staticmethod
    def resolve_invoice(root: models.CreditNote, info: graphene.ResolveInfo) -> object:
        return _reference("Invoice", ledger_loaders(info).invoices.load(root.invoice_id))

    @staticmethod
    def resolve_account(root: models.CreditNote, info: graphene.ResolveInfo) -> object:
        return _account(root.account_id, info)

    @staticmethod
    def resolve_owner(root: models.CreditNote, info: graphene.ResolveInfo) -> object:
        return ledger_loaders(info).users.load(root.owner_id) if root.owner_id else None

    @staticmethod
    def resolve_amount(root: models.CreditNote, _info: graphene.ResolveInfo) -> object:
        return money(root.amount, root.currency)

    @staticmethod
    def resolve_net_amount(root: models.CreditNote, _info: graphene.ResolveInfo) -> object:
        return money(root.net_amount, root.currency)

    @staticmethod
    def resolve_tax_amount(root: models.CreditNote, _info: graphene.ResolveInfo) -> object:
        return money(root.tax_amount, root.currency)

    @staticmethod
    def resolve_taxes(root: models.CreditNote, info: graphene.ResolveInfo) -> object:
        parts = ledger_loaders(info).credit_note_taxes.load(root.pk)
        return [
            (
                TaxPart(part.tax_code, plain(part.tax_rate), part.net_amount, part.tax_amount),
                root.currency,
            )
            for part in parts
        ]

    @staticmethod
    def resolve_amount_group(root: models.CreditNote, _info: graphene.ResolveInfo) -> object:
        return money(root.amount_group, root.group_currency)


class CreditNoteConnection(CountedConnection):
    class Meta:
        node = CreditNote


class Invoice(BusinessUnitScopedId, graphene.ObjectType):
    """An invoice against an order: a draft until issued (then numbered, dated, converted)."""

    class Meta:
        interfaces = (relay.Node,)

    number = graphene.String(description="Given when issued.")
    order = graphene.Field(DocumentReference)
    account = graphene.Field(LedgerAccount)
    owner = graphene.Field(DealUser)
    status = graphene.Field(InvoiceStatus)
    notes = graphene.String()
    issue_date = graphene.Date()
    due_date = graphene.Date()
    payment_terms = graphene.String(description="The account's terms when it was issued.")
    net_total = graphene.Field(Money, description="The lines' net amounts.")
    tax_total = graphene.Field(Money, description="The lines' tax.")
    taxes = graphene.List(graphene.NonNull(TaxBreakdown), description="Net and tax by rate.")
    total = graphene.Field(Money, description="Gross (net + tax): what is owed.")
    total_group = graphene.Field(Money)
    conversion = graphene.Field(DocumentConversion, resolver=_conversion)
    credited_amount = graphene.Field(Money)
    paid_amount = graphene.Field(Money)
    open_amount = graphene.Field(Money)
    open_amount_group = graphene.Field(Money, description="At the invoice's own rate.")
    lines = graphene.List(graphene.NonNull(InvoiceLine))
    credit_notes = graphene.List(graphene.NonNull(CreditNote))
    allocations = graphene.List(graphene.NonNull(Allocation))
    document = graphene.Field(lambda: InvoiceDocument)
    created_at = graphene.DateTime(required=True)
    permissions = permissions_field(INVOICE)

    @staticmethod
    def resolve_order(root: models.Invoice, info: graphene.ResolveInfo) -> object:
        return _reference("Order", ledger_loaders(info).orders.load(root.order_id))

    @staticmethod
    def resolve_account(root: models.Invoice, info: graphene.ResolveInfo) -> object:
        return _account(root.account_id, info)

    @staticmethod
    def resolve_owner(root: models.Invoice, info: graphene.ResolveInfo) -> object:
        return ledger_loaders(info).users.load(root.owner_id) if root.owner_id else None

    @staticmethod
    def resolve_status(root: models.Invoice, _info: graphene.ResolveInfo) -> object:
        return models.InvoiceStatus(root.status)

    @staticmethod
    def resolve_net_total(root: models.Invoice, _info: graphene.ResolveInfo) -> object:
        return money(root.net_total, root.currency)

    @staticmethod
    def resolve_tax_total(root: models.Invoice, _info: graphene.ResolveInfo) -> object:
        return money(root.tax_total, root.currency)

    @staticmethod
    def resolve_taxes(root: models.Invoice, info: graphene.ResolveInfo) -> object:
        lines = ledger_loaders(info).invoice_lines.load(root.pk)
        return _breakdown(by_rate(lines), root.currency)

    @staticmethod
    def resolve_total(root: models.Invoice, _info: graphene.ResolveInfo) -> object:
        return money(root.total, root.currency)

    @staticmethod
    def resolve_total_group(root: models.Invoice, _info: graphene.ResolveInfo) -> object:
        return money(root.total_group, root.group_currency)

    @staticmethod
    def resolve_credited_amount(root: models.Invoice, _info: graphene.ResolveInfo) -> object:
        return money(root.credited_amount, root.currency)

    @staticmethod
    def resolve_paid_amount(root: models.Invoice, _info: graphene.ResolveInfo) -> object:
        return money(root.paid_amount, root.currency)

    @staticmethod
    def resolve_open_amount(root: models.Invoice, _info: graphene.ResolveInfo) -> object:
        return money(root.open_amount, root.currency)

    @staticmethod
    def resolve_open_amount_group(root: models.Invoice, _info: graphene.ResolveInfo) -> object:
        return money(root.open_amount_group, root.group_currency)

    @staticmethod
    def resolve_lines(root: models.Invoice, info: graphene.ResolveInfo) -> object:
        lines = ledger_loaders(info).invoice_lines.load(root.pk)
        for line in lines:
            line.invoice = root
        return lines

    @staticmethod
    def resolve_credit_notes(root: models.Invoice, info: graphene.ResolveInfo) -> object:
        return ledger_loaders(info).invoice_credit_notes.load(root.pk)

    @staticmethod
    def resolve_allocations(root: models.Invoice, info: graphene.ResolveInfo) -> object:
        return ledger_loaders(info).invoice_allocations.load(root.pk)

    @staticmethod
    def resolve_document(root: models.Invoice, _info: graphene.ResolveInfo) -> object:
        return InvoiceDocument(url=f"/files/invoices/{root.pk}/invoice.html")


class InvoiceDocument(graphene.ObjectType):
    """The printable invoice (HTML) in the customer's language, with its VAT by rate."""

    url = graphene.String(required=True, description="GET it with the same headers as the API.")


class InvoiceConnection(CountedConnection):
    class Meta:
        node = Invoice


# -- payments -------------------------------------------------------------------------------


class Payment(BusinessUnitScopedId, graphene.ObjectType):
    """A payment received; what is not allocated is the payer's credit."""

    class Meta:
        interfaces = (relay.Node,)

    number = graphene.String()
    payer = graphene.Field(LedgerAccount)
    owner = graphene.Field(DealUser)
    received_on = graphene.Date()
    reference = graphene.String()
    external_reference = graphene.String()
    amount = graphene.Field(Money)
    amount_group = graphene.Field(Money)
    conversion = graphene.Field(DocumentConversion, resolver=_conversion)
    allocated_amount = graphene.Field(Money)
    unallocated_amount = graphene.Field(Money, description="The payer's credit.")
    allocations = graphene.List(graphene.NonNull(Allocation))
    created_at = graphene.DateTime(required=True)
    permissions = permissions_field(PAYMENT)

    @staticmethod
    def resolve_payer(root: models.Payment, info: graphene.ResolveInfo) -> object:
        return _account(root.payer_id, info)

    @staticmethod
    def resolve_owner(root: models.Payment, info: graphene.ResolveInfo) -> object:
        return ledger_loaders(info).users.load(root.owner_id) if root.owner_id else None

    @staticmethod
    def resolve_amount(root: models.Payment, _info: graphene.ResolveInfo) -> object:
        return money(root.amount, root.currency)

    @staticmethod
    def resolve_amount_group(root: models.Payment, _info: graphene.ResolveInfo) -> object:
        return money(root.amount_group, root.group_currency)

    @staticmethod
    def resolve_allocated_amount(root: models.Payment, _info: graphene.ResolveInfo) -> object:
        return money(root.allocated_amount, root.currency)

    @staticmethod
    def resolve_unallocated_amount(root: models.Payment, _info: graphene.ResolveInfo) -> object:
        return money(root.unallocated_amount, root.currency)

    @staticmethod
    def resolve_allocations(root: models.Payment, info: graphene.ResolveInfo) -> object:
        return ledger_loaders(info).payment_allocations.load(root.pk)


class PaymentConnection(CountedConnection):
    class Meta:
        node = Payment


# -- receivables aging ----------------------------------------------------------------------


def _bucket(index: int) -> Callable[[tuple[tuple[Decimal, ...], str], Any], MoneyValue]:
    def resolve(root: tuple[tuple[Decimal, ...], str], _info: Any) -> MoneyValue:
        amounts, currency = root
        amount = amounts[index] if index >= 0 else sum(amounts, Decimal(0))
        return round_money(MoneyValue(amount, currency))

    return resolve


class AgingBuckets(graphene.ObjectType):
    """Open amounts by days past due (each computed only when asked for)."""

    current = graphene.Field(Money, required=True, description="Not yet due.", resolver=_bucket(0))
    days_1_to_30 = graphene.Field(Money, required=True, resolver=_bucket(1))
    days_31_to_60 = graphene.Field(Money, required=True, resolver=_bucket(2))
    days_61_to_90 = graphene.Field(Money, required=True, resolver=_bucket(3))
    days_over_90 = graphene.Field(Money, required=True, resolver=_bucket(4))
    total = graphene.Field(Money, required=True, resolver=_bucket(-1))


def buckets_of(values: dict[str, Decimal], currency: str) -> tuple[tuple[Decimal, ...], str]:
    """An AgingBuckets value: the amounts in the order of BUCKETS, and their currency."""
    return (tuple(values[name] for name in BUCKETS), currency)


class AgingRow(graphene.ObjectType):
    """One account's receivables in one transaction currency."""

    account = graphene.Field(LedgerAccount, required=True)
    currency = graphene.String(required=True)
    invoices = graphene.Int(required=True, description="Open invoices counted.")
    amounts = graphene.Field(AgingBuckets, required=True, description="In the currency.")
    amounts_group = graphene.Field(
        AgingBuckets, required=True, description="In the group currency, at each invoice's rate."
    )
    unapplied = graphene.Field(Money, required=True, description="Cash not allocated yet.")
    unapplied_group = graphene.Field(Money, required=True)

    @staticmethod
    def resolve_account(root: tuple[AgingRowValue, str], info: graphene.ResolveInfo) -> object:
        return _account(root[0].account_id, info)

    @staticmethod
    def resolve_currency(root: tuple[AgingRowValue, str], _info: graphene.ResolveInfo) -> str:
        return root[0].currency

    @staticmethod
    def resolve_invoices(root: tuple[AgingRowValue, str], _info: graphene.ResolveInfo) -> int:
        return root[0].invoices

    @staticmethod
    def resolve_amounts(root: tuple[AgingRowValue, str], _info: graphene.ResolveInfo) -> object:
        return (root[0].amounts, root[0].currency)

    @staticmethod
    def resolve_amounts_group(
        root: tuple[AgingRowValue, str], _info: graphene.ResolveInfo
    ) -> object:
        return (root[0].amounts_group, root[1])

    @staticmethod
    def resolve_unapplied(root: tuple[AgingRowValue, str], _info: graphene.ResolveInfo) -> object:
        return round_money(MoneyValue(root[0].unapplied, root[0].currency))

    @staticmethod
    def resolve_unapplied_group(
        root: tuple[AgingRowValue, str], _info: graphene.ResolveInfo
    ) -> object:
        return round_money(MoneyValue(root[0].unapplied_group, root[1]))


class AgingPage(graphene.ObjectType):
    """A page of the aging's rows, largest balance in the group currency first."""

    rows = graphene.List(graphene.NonNull(AgingRow), required=True)
    end_cursor = graphene.String(description="Pass as `after` for the next page.")
    has_next_page = graphene.Boolean(required=True)


class ReceivablesAging(graphene.ObjectType):
    """The business unit's receivables by customer and days past due, as of a date."""

    as_of = graphene.Date(required=True)
    group_currency = graphene.String(required=True)
    row_count = graphene.Int(required=True, description="Accounts × currencies with a balance.")
    total_group = graphene.Field(
        AgingBuckets, required=True, description="Every row, in the group currency."
    )
    unapplied_group = graphene.Field(Money, required=True)
    page = graphene.Field(
        AgingPage,
        first=graphene.Int(required=True),
        after=graphene.String(),
        required=True,
        description="The rows, largest balance first (`first` is capped like every list).",
    )

    @staticmethod
    def resolve_as_of(root: Aging, _info: graphene.ResolveInfo) -> object:
        return root.as_of

    @staticmethod
    def resolve_group_currency(root: Aging, _info: graphene.ResolveInfo) -> str:
        return root.group_currency

    @staticmethod
    def resolve_row_count(root: Aging, _info: graphene.ResolveInfo) -> int:
        return len(root.rows)

    @staticmethod
    def resolve_total_group(root: Aging, _info: graphene.ResolveInfo) -> object:
        return buckets_of(root.buckets_group(), root.group_currency)

    @staticmethod
    def resolve_unapplied_group(root: Aging, _info: graphene.ResolveInfo) -> MoneyValue:
        total = sum((row.unapplied_group for row in root.rows), Decimal(0))
        return round_money(MoneyValue(total, root.group_currency))

    @staticmethod
    def resolve_page(
        root: Aging, info: graphene.ResolveInfo, first: int, after: str | None = None
    ) -> AgingPage:
        try:
            size = page_size(first)
            start = int(decode_cursor("AgingRow", after)[0]) if after else 0
        except (CrmError, ValueError) as error:
            if isinstance(error, CrmError):
                raise graphql_error(error) from error
            raise graphql_error(
                CrmError(ErrorCode.INVALID_CURSOR, field="after", cursor=after)
            ) from error
        ordered = sorted(
            root.rows, key=lambda row: (-row.total_group, row.account_id, row.currency)
        )
        chosen = ordered[start : start + size]
        ledger_loaders(info).accounts.expect(row.account_id for row in chosen)
        end = start + len(chosen)
        return AgingPage(
            rows=[(row, root.group_currency) for row in chosen],
            end_cursor=encode_cursor("AgingRow", str(end)) if chosen else None,
            has_next_page=end < len(ordered),
        )
