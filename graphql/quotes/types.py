"""GraphQL types of a BU's quotes, their lines and tax rates. Governed fields (see
tenants/quotes/access.py) are null with FIELD_FORBIDDEN where the policy hides them (by
default the margin and a line's cost, for everyone but HQ, the BU's managers and finance)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene
from graphene import relay
from moneyed import Money as MoneyValue

from crm.graphql.core.ids import BusinessUnitScopedId, scoped_global_id
from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import permissions_field
from crm.graphql.core.types import Conversion, Money
from crm.graphql.masterdata.types import Material
from crm.graphql.opportunities.loaders import opportunity_loaders
from crm.graphql.opportunities.types import DealAccount, DealUser
from crm.masterdata import fx
from crm.platform.core.money import round_money
from crm.tenants.quotes import models, services
from crm.tenants.quotes.access import QUOTE, TAX_RATE

QuoteStatus = graphene.Enum.from_enum(models.QuoteStatus)
QuoteApprovalKind = graphene.Enum.from_enum(models.QuoteApproval.Kind, name="QuoteApprovalKind")


def money(amount: Decimal | None, currency: str) -> MoneyValue | None:
    """The amount at its currency's minor units (JPY whole yen), or with the finer precision it
    has (a unit cost)."""
    if amount is None:
        return None
    rounded = round_money(MoneyValue(amount, currency))
    return rounded if rounded.amount == amount else MoneyValue(amount.normalize(), currency)


class QuotePriceSource(graphene.ObjectType):
    """Where a line's unit price came from: the price list (BU, region or group scope) and,
    when that list is in another currency, the conversion (rate, its type and date)."""

    price_list = graphene.String(required=True, description="The price list's code.")
    list_price = graphene.Field(Money, required=True, description="As written on the list.")
    break_from = graphene.Decimal(description="The volume break applied, from this quantity.")
    conversion = graphene.Field(Conversion, description="Null when no conversion was needed.")


class QuoteLineTax(graphene.ObjectType):
    code = graphene.String(required=True)
    rate = graphene.Decimal(required=True, description="%")
    amount = graphene.Field(Money, required=True)


class QuoteLineItem(BusinessUnitScopedId, graphene.ObjectType):
    """A priced line of a quote; amounts rounded to the currency's minor units, line by line."""

    class Meta:
        interfaces = (relay.Node,)

    position = graphene.Int(required=True)
    material_code = graphene.String(required=True)
    unit = graphene.String(required=True)
    material = graphene.Field(Material, description="Null if you may not view the material.")
    quantity = graphene.Decimal()
    unit_price = graphene.Field(Money, description="In the quote's currency.")
    price_source = graphene.Field(QuotePriceSource)
    discount = graphene.Decimal(description="The line's own discount, %.")
    effective_discount = graphene.Decimal(
        required=True, description="With the quote's discount, %."
    )
    list_amount = graphene.Field(Money, required=True, description="Unit price × quantity.")
    net = graphene.Field(Money)
    tax = graphene.Field(QuoteLineTax)
    gross = graphene.Field(Money)
    unit_cost = graphene.Field(Money, description="Standard cost, converted; null if unknown.")
    margin = graphene.Field(Money, description="Net minus cost; null if the cost is unknown.")

    @staticmethod
    def resolve_material(root: models.QuoteLine, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).materials.load(root.material_id)

    @staticmethod
    def resolve_unit_price(root: models.QuoteLine, _info: graphene.ResolveInfo) -> object:
        return money(root.unit_price, root.quote.currency)

    @staticmethod
    def resolve_price_source(root: models.QuoteLine, _info: graphene.ResolveInfo) -> object:
        source = money(root.source_amount, root.source_currency)
        assert source is not None
        conversion = None
        if root.fx_rate is not None and root.fx_rate_date is not None:
            rate = fx.Rate(
                base=root.source_currency,
                quote=root.quote.currency,
                rate=root.fx_rate,
                date=root.fx_rate_date,
                rate_type=root.fx_rate_type,
            )
            conversion = fx.Conversion(
                source=source,
                result=MoneyValue(source.amount * root.fx_rate, root.quote.currency),
                rate=rate,
            )
        return QuotePriceSource(
            price_list=root.price_list_code,
            list_price=source,
            break_from=root.break_from,
            conversion=conversion,
        )

    @staticmethod
    def resolve_list_amount(root: models.QuoteLine, _info: graphene.ResolveInfo) -> object:
        return money(root.list_amount, root.quote.currency)

    @staticmethod
    def resolve_net(root: models.QuoteLine, _info: graphene.ResolveInfo) -> object:
        return money(root.net_amount, root.quote.currency)

    @staticmethod
    def resolve_tax(root: models.QuoteLine, _info: graphene.ResolveInfo) -> object:
        return QuoteLineTax(
            code=root.tax_code,
            rate=root.tax_rate,
            amount=money(root.tax_amount, root.quote.currency),
        )

    @staticmethod
    def resolve_gross(root: models.QuoteLine, _info: graphene.ResolveInfo) -> object:
        return money(root.gross_amount, root.quote.currency)

    @staticmethod
    def resolve_unit_cost(root: models.QuoteLine, _info: graphene.ResolveInfo) -> object:
        return money(root.unit_cost, root.quote.currency)

    @staticmethod
    def resolve_margin(root: models.QuoteLine, _info: graphene.ResolveInfo) -> object:
        return money(root.margin_amount, root.quote.currency)


class QuoteApprovalEntry(graphene.ObjectType):
    """An entry of a quote's discount-approval trail."""

    kind = graphene.Field(QuoteApprovalKind, required=True)
    discount = graphene.Decimal(required=True, description="The quote's discount then, %.")
    actor = graphene.String(required=True)
    comment = graphene.String(required=True)
    at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_kind(root: models.QuoteApproval, _info: graphene.ResolveInfo) -> object:
        return models.QuoteApproval.Kind(root.kind)


class QuoteDocument(graphene.ObjectType):
    """The printable quote (HTML), in the customer's language."""

    url = graphene.String(required=True, description="GET it with the same headers as the API.")
    language = graphene.String(required=True)


class QuoteVersion(graphene.ObjectType):
    id = graphene.ID(required=True)
    version = graphene.Int(required=True)
    status = graphene.Field(QuoteStatus, required=True)
    is_current = graphene.Boolean(required=True)

    @staticmethod
    def resolve_id(root: models.Quote, _info: graphene.ResolveInfo) -> str:
        return scoped_global_id("Quote", root.pk)

    @staticmethod
    def resolve_status(root: models.Quote, _info: graphene.ResolveInfo) -> object:
        return models.QuoteStatus(root.status)


class Quote(BusinessUnitScopedId, graphene.ObjectType):
    """A version of a quote of the business unit. Fields are null where the policy hides them."""

    class Meta:
        interfaces = (relay.Node,)

    number = graphene.String()
    version = graphene.Int()
    is_current = graphene.Boolean(required=True, description="Older versions are read-only.")
    status = graphene.Field(QuoteStatus)
    opportunity = graphene.ID(description="The deal's global id.")
    account = graphene.Field(DealAccount)
    owner = graphene.Field(DealUser)
    currency = graphene.String()
    language = graphene.String(description="The customer's: the printed document's language.")
    quote_date = graphene.Date(description="Prices, rates and taxes are those of this day.")
    valid_until = graphene.Date()
    header_discount = graphene.Decimal(description="On every line, after its own, %.")
    net_total = graphene.Field(Money, description="The sum of the lines' net amounts.")
    tax_total = graphene.Field(Money, description="The sum of the lines' taxes.")
    gross_total = graphene.Field(Money, description="The sum of the lines' gross amounts.")
    margin = graphene.Field(Money, description="Net minus standard cost; null if unknown.")
    max_discount = graphene.Decimal(description="The highest effective line discount, %.")
    approved_discount = graphene.Decimal(description="Approved up to this discount, %.")
    lines = graphene.List(graphene.NonNull(QuoteLineItem))
    approvals = graphene.List(graphene.NonNull(QuoteApprovalEntry))
    versions = graphene.List(graphene.NonNull(QuoteVersion), description="Oldest first.")
    note = graphene.String()
    document = graphene.Field(QuoteDocument)
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    sent_at = graphene.DateTime()
    decided_at = graphene.DateTime()
    permissions = permissions_field(QUOTE)

    @staticmethod
    def resolve_status(root: models.Quote, _info: graphene.ResolveInfo) -> object:
        return models.QuoteStatus(root.status)

    @staticmethod
    def resolve_opportunity(root: models.Quote, _info: graphene.ResolveInfo) -> str:
        return scoped_global_id("Opportunity", root.opportunity_id)

    @staticmethod
    def resolve_account(root: models.Quote, info: graphene.ResolveInfo) -> object:
        return (root.account_id, opportunity_loaders(info).accounts.load(root.account_id))

    @staticmethod
    def resolve_owner(root: models.Quote, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).users.load(root.owner_id)

    @staticmethod
    def resolve_net_total(root: models.Quote, _info: graphene.ResolveInfo) -> object:
        return money(root.net_amount, root.currency)

    @staticmethod
    def resolve_tax_total(root: models.Quote, _info: graphene.ResolveInfo) -> object:
        return money(root.tax_amount, root.currency)

    @staticmethod
    def resolve_gross_total(root: models.Quote, _info: graphene.ResolveInfo) -> object:
        return money(root.gross_amount, root.currency)

    @staticmethod
    def resolve_margin(root: models.Quote, _info: graphene.ResolveInfo) -> object:
        return money(root.margin_amount, root.currency)

    @staticmethod
    def resolve_lines(root: models.Quote, _info: graphene.ResolveInfo) -> list[Any]:
        lines = sorted(root.lines.all(), key=lambda line: line.position)
        for line in lines:
            line.quote = root  # its currency, without a query per line
        return lines

    @staticmethod
    def resolve_approvals(root: models.Quote, _info: graphene.ResolveInfo) -> list[Any]:
        return list(root.approvals.order_by("at", "id"))

    @staticmethod
    def resolve_versions(root: models.Quote, _info: graphene.ResolveInfo) -> list[Any]:
        return services.versions(root)

    @staticmethod
    def resolve_document(root: models.Quote, _info: graphene.ResolveInfo) -> QuoteDocument:
        return QuoteDocument(url=f"/files/quotes/{root.pk}/quote.html", language=root.language)


class QuoteConnection(CountedConnection):
    class Meta:
        node = Quote


class TaxRate(BusinessUnitScopedId, graphene.ObjectType):
    """A tax rate of the business unit, valid over a window of days."""

    class Meta:
        interfaces = (relay.Node,)

    code = graphene.String()
    name = graphene.String()
    rate = graphene.Decimal(description="%")
    material_category = graphene.String(description="The category's code; null for any.")
    is_default = graphene.Boolean()
    valid_from = graphene.Date()
    valid_to = graphene.Date(description="Inclusive; null is open.")
    permissions = permissions_field(TAX_RATE)

    @staticmethod
    def resolve_material_category(root: models.TaxRate, _info: graphene.ResolveInfo) -> object:
        if root.material_category_id is None:
            return None
        from crm.masterdata.models import MaterialCategory

        return (
            MaterialCategory.objects.filter(pk=root.material_category_id)
            .values_list("code", flat=True)
            .first()
        )
