"""Sales policies: each BU role's discount limit, and the caller's own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.permissions import access_of, caller, permissions_field
from crm.masterdata import models
from crm.masterdata.access import SALES_POLICY
from crm.masterdata.sales_policy import max_discount
from crm.platform.core.errors import CrmError
from crm.platform.permissions.vocabulary import Action


class SalesPolicy(graphene.ObjectType):
    business_unit = graphene.String(description="BU code.")
    role = graphene.String(description="Role code.")
    max_discount = graphene.Decimal(description="Percent, without an approval.")
    permissions = permissions_field(SALES_POLICY)

    @staticmethod
    def resolve_business_unit(root: models.SalesPolicy, _info: graphene.ResolveInfo) -> str:
        return str(root.business_unit.code)

    @staticmethod
    def resolve_role(root: models.SalesPolicy, _info: graphene.ResolveInfo) -> str:
        return str(root.role.code)


class SalesPolicyQueries(graphene.ObjectType):
    sales_policies = graphene.List(
        graphene.NonNull(SalesPolicy), required=True, description="The limits you may see."
    )
    my_max_discount = graphene.Decimal(
        required=True, description="Your discount limit here, in percent (0 without a policy)."
    )

    @staticmethod
    def resolve_sales_policies(_root: None, info: graphene.ResolveInfo) -> list[Any]:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, SALES_POLICY)
        except CrmError as error:
            raise graphql_error(error) from error
        records = models.SalesPolicy.objects.filter(group_id=access.business_unit.group_id)
        visible = access.visible(SALES_POLICY, records).select_related("business_unit", "role")
        return list(visible.order_by("business_unit__code", "role__code"))

    @staticmethod
    def resolve_my_max_discount(_root: None, info: graphene.ResolveInfo) -> Decimal:
        return max_discount(access_of(info))
