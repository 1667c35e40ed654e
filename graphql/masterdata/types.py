"""GraphQL types of group master data, read in the request's language and the BU's currency."""

from __future__ import annotations

import graphene
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.types import Conversion, Money
from crm.i18n import languages
from crm.masterdata import models
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


class Material(graphene.ObjectType):
    """A material under its group-wide code."""

    class Meta:
        interfaces = (relay.Node,)

    code = graphene.String(required=True)
    unit = graphene.Field(UnitOfMeasure, required=True)
    status = graphene.Field(MaterialStatus, required=True)
    name = graphene.String(required=True, description="In the request's language, with fallback.")
    description = graphene.String(required=True)
    price = graphene.Field(
        MaterialPrice,
        description=(
            "Valid today for this business unit; null with a PRICE_NOT_FOUND error if none."
        ),
    )

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.Material | None:
        business_unit: BusinessUnit = info.context.tenant
        return models.Material.objects.filter(group_id=business_unit.group_id, pk=id).first()

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
    def resolve_price(root: models.Material, info: graphene.ResolveInfo) -> ResolvedPrice:
        resolved: ResolvedPrice | CrmError = info.context.loaders.price_today.load(root.pk)
        if isinstance(resolved, CrmError):
            resolved.params["material"] = root.code
            error: GraphQLError = graphql_error(resolved)
            raise error
        return resolved


class MaterialConnection(relay.Connection):
    class Meta:
        node = Material

    total_count = graphene.Int(required=True)

    @staticmethod
    def resolve_total_count(root: MaterialConnection, _info: graphene.ResolveInfo) -> int:
        count: int = root.page.queryset.count()
        return count
