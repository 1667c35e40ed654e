"""GraphQL types of group master data, read in the request's language and the BU's currency."""

from __future__ import annotations

from decimal import Decimal

import graphene
from graphene import relay
from moneyed import Money as MoneyValue

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import access_of, permissions_field
from crm.graphql.core.types import Conversion, Money
from crm.i18n import languages
from crm.masterdata import access, models
from crm.masterdata.prices import ResolvedPrice
from crm.platform.core.errors import CrmError
from crm.tenants.models import BusinessUnit
from graphql import GraphQLError

UnitOfMeasure = graphene.Enum.from_enum(models.UnitOfMeasure)
MaterialStatus = graphene.Enum.from_enum(models.MaterialStatus)


def text_chain(info: graphene.ResolveInfo) -> list[str]:
    """The request's language, then the BU's fallbacks, then the group's default, then English."""
    request = info.context
    business_unit: BusinessUnit = request.tenant
    return languages.fallback_chain(
        request.LANGUAGE_CODE,
        business_unit.fallback_languages,
        business_unit.language,
        business_unit.group.default_language,
    )


class MaterialPrice(graphene.ObjectType):
    """The price that applies to this business unit today, in its functional currency."""

    amount = graphene.Field(Money, required=True)
    price_list = graphene.String(required=True, description="Code of the price list used.")
    list_price = graphene.Field(Money, required=True, description="As written on the list.")
    conversion = graphene.Field(Conversion, description="Set when the list is in another currency.")

    @staticmethod
    def resolve_amount(root: ResolvedPrice, _info: graphene.ResolveInfo) -> object:
        return root.price

    @staticmethod
    def resolve_price_list(root: ResolvedPrice, _info: graphene.ResolveInfo) -> str:
        return root.price_list_code

    @staticmethod
    def resolve_list_price(root: ResolvedPrice, _info: graphene.ResolveInfo) -> object:
        return root.source

    @staticmethod
    def resolve_conversion(root: ResolvedPrice, _info: graphene.ResolveInfo) -> object:
        return root.conversion


def _group_money(amount: Decimal | None, info: graphene.ResolveInfo) -> MoneyValue | None:
    if amount is None:
        return None
    business_unit: BusinessUnit = info.context.tenant
    return MoneyValue(amount, business_unit.group.currency)


class LocalCode(graphene.ObjectType):
    business_unit = graphene.String(required=True, description="BU code.")
    code = graphene.String(required=True)

    @staticmethod
    def resolve_business_unit(root: models.MaterialLocalCode, _info: graphene.ResolveInfo) -> str:
        return str(root.business_unit.code)


class MaterialCategory(graphene.ObjectType):
    """A node of the group's material tree."""

    code = graphene.String()
    name = graphene.String(description="In the request's language, with fallback.")
    parent = graphene.String(description="The parent category's code.")
    permissions = permissions_field(access.MATERIAL_CATEGORY)

    @staticmethod
    def resolve_name(root: models.MaterialCategory, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "name", text_chain(info))

    @staticmethod
    def resolve_parent(root: models.MaterialCategory, _info: graphene.ResolveInfo) -> str | None:
        return root.parent.code if root.parent else None


class Material(graphene.ObjectType):
    """A material under its group-wide code. Fields are null where the policy hides them."""

    class Meta:
        interfaces = (relay.Node,)

    code = graphene.String()
    unit = graphene.Field(UnitOfMeasure)
    status = graphene.Field(MaterialStatus)
    name = graphene.String(description="In the request's language, with fallback.")
    description = graphene.String()
    standard_cost = graphene.Field(Money, description="In the group currency.")
    price = graphene.Field(
        MaterialPrice,
        description=(
            "Valid today for this business unit; null with a PRICE_NOT_FOUND error if none."
        ),
    )
    category = graphene.Field(MaterialCategory)
    local_codes = graphene.List(
        graphene.NonNull(lambda: LocalCode),
        description="The business units' own codes for this material.",
    )
    permissions = permissions_field(access.MATERIAL)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.Material | None:
        business_unit: BusinessUnit = info.context.tenant
        queryset = models.Material.objects.filter(group_id=business_unit.group_id, pk=id)
        return access_of(info).visible(access.MATERIAL, queryset).first()

    @staticmethod
    def resolve_unit(root: models.Material, _info: graphene.ResolveInfo) -> object:
        return models.UnitOfMeasure(root.unit)

    @staticmethod
    def resolve_status(root: models.Material, _info: graphene.ResolveInfo) -> object:
        return models.MaterialStatus(root.status)

    @staticmethod
    def resolve_name(root: models.Material, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "name", text_chain(info))

    @staticmethod
    def resolve_description(root: models.Material, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "description", text_chain(info))

    @staticmethod
    def resolve_local_codes(root: models.Material, info: graphene.ResolveInfo) -> object:
        return info.context.loaders.local_codes.load(root.pk)

    @staticmethod
    def resolve_standard_cost(root: models.Material, info: graphene.ResolveInfo) -> object:
        return _group_money(root.standard_cost, info)

    @staticmethod
    def resolve_price(root: models.Material, info: graphene.ResolveInfo) -> ResolvedPrice:
        resolved: ResolvedPrice | CrmError = info.context.loaders.price_today.load(root.pk)
        if isinstance(resolved, CrmError):
            resolved.params["material"] = root.code
            error: GraphQLError = graphql_error(resolved)
            raise error
        return resolved


class MaterialsExport(graphene.ObjectType):
    """A CSV export: one header row, then one row per material; hidden cells are empty."""

    csv = graphene.String(required=True)
    rows = graphene.Int(required=True)


class MaterialConnection(CountedConnection):
    class Meta:
        node = Material


PriceScope = graphene.Enum.from_enum(models.PriceScope)
PriceListStatus = graphene.Enum.from_enum(models.PriceListStatus)


class PriceListCoverage(graphene.ObjectType):
    """Whom a list prices for: the whole group, one region, or one business unit."""

    scope = graphene.Field(PriceScope, required=True)
    region = graphene.String(description="Region code, for a regional list.")
    business_unit = graphene.String(description="BU code, for a list of one business unit.")


class PriceListItem(graphene.ObjectType):
    material_code = graphene.String(required=True)
    price = graphene.Field(Money, required=True, description="In the list's currency.")

    @staticmethod
    def resolve_material_code(root: models.PriceListItem, _info: graphene.ResolveInfo) -> str:
        return root.material.code

    @staticmethod
    def resolve_price(root: models.PriceListItem, _info: graphene.ResolveInfo) -> MoneyValue:
        return root.price


class PriceList(graphene.ObjectType):
    """An HQ price list. Fields are null where the policy hides them."""

    class Meta:
        interfaces = (relay.Node,)

    code = graphene.String()
    name = graphene.String(description="In the request's language, with fallback.")
    currency = graphene.String()
    coverage = graphene.Field(PriceListCoverage)
    status = graphene.Field(PriceListStatus)
    valid_from = graphene.Date()
    valid_to = graphene.Date(description="Inclusive; null is open-ended.")
    items = graphene.List(
        graphene.NonNull(PriceListItem), description="Every price on the list, by material code."
    )
    permissions = permissions_field(access.PRICE_LIST)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.PriceList | None:
        business_unit: BusinessUnit = info.context.tenant
        queryset = models.PriceList.objects.filter(group_id=business_unit.group_id, pk=id)
        return access_of(info).visible(access.PRICE_LIST, queryset).first()

    @staticmethod
    def resolve_name(root: models.PriceList, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "name", text_chain(info))

    @staticmethod
    def resolve_coverage(root: models.PriceList, _info: graphene.ResolveInfo) -> PriceListCoverage:
        return PriceListCoverage(
            scope=models.PriceScope(root.scope),
            region=root.region_id,
            business_unit=root.business_unit.code if root.business_unit else None,
        )

    @staticmethod
    def resolve_status(root: models.PriceList, _info: graphene.ResolveInfo) -> object:
        return models.PriceListStatus(root.status)

    @staticmethod
    def resolve_items(root: models.PriceList, info: graphene.ResolveInfo) -> object:
        return info.context.loaders.price_list_items.load(root.pk)


class PriceListConnection(CountedConnection):
    class Meta:
        node = PriceList


RateType = graphene.Enum.from_enum(models.RateType)


class ExchangeRate(graphene.ObjectType):
    """1 `base` is worth `rate` `quote` on `date`, for one rate type of the group."""

    class Meta:
        interfaces = (relay.Node,)

    base = graphene.String()
    quote = graphene.String()
    rate_type = graphene.Field(RateType)
    date = graphene.Date()
    rate = graphene.Decimal()
    source = graphene.String()
    permissions = permissions_field(access.EXCHANGE_RATE)

    @staticmethod
    def resolve_rate_type(root: models.ExchangeRate, _info: graphene.ResolveInfo) -> object:
        return models.RateType(root.rate_type)


class ExchangeRateConnection(CountedConnection):
    class Meta:
        node = ExchangeRate
