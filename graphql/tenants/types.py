"""GraphQL types of the tenancy directory: the business unit, its group and region."""

from __future__ import annotations

import graphene

from crm.regions import models as region_models
from crm.tenants import models


class Region(graphene.ObjectType):
    code = graphene.String(required=True)
    name = graphene.String(required=True)
    jurisdiction = graphene.String(required=True, description="GDPR, PIPL, APPI, CCPA…")
    endpoint = graphene.String(required=True, description="The cell's GraphQL endpoint.")

    @staticmethod
    def resolve_endpoint(root: region_models.Region, _info: graphene.ResolveInfo) -> str:
        return root.api_endpoint


class Group(graphene.ObjectType):
    code = graphene.String(required=True)
    name = graphene.String(required=True)
    currency = graphene.String(required=True)
    default_language = graphene.String(required=True)


class BusinessUnit(graphene.ObjectType):
    code = graphene.String(required=True)
    handle = graphene.String(required=True, description="Value for the X-Business-Unit header.")
    name = graphene.String(required=True)
    kind = graphene.String(required=True)
    language = graphene.String(required=True)
    fallback_languages = graphene.List(graphene.NonNull(graphene.String), required=True)
    currency = graphene.String(required=True, description="Functional currency (ISO-4217).")
    time_zone = graphene.String(required=True)
    region = graphene.Field(Region, required=True)
    group = graphene.Field(Group, required=True)

    @staticmethod
    def resolve_region(root: models.BusinessUnit, _info: graphene.ResolveInfo) -> object:
        return root.region

    @staticmethod
    def resolve_group(root: models.BusinessUnit, _info: graphene.ResolveInfo) -> object:
        return root.group
