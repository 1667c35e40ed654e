"""The business unit the request is for."""

from __future__ import annotations

import graphene

from crm.graphql.core.permissions import access_of
from crm.graphql.tenants.types import BusinessUnit
from crm.tenants import models


class TenancyQueries(graphene.ObjectType):
    business_unit = graphene.Field(
        BusinessUnit, required=True, description="The business unit this request is for."
    )

    @staticmethod
    def resolve_business_unit(_root: None, info: graphene.ResolveInfo) -> models.BusinessUnit:
        business_unit: models.BusinessUnit = access_of(info).business_unit
        return business_unit
