"""salesPolicySet: how far a role of a BU may discount without an approval."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.masterdata.sales_policies import SalesPolicy
from crm.masterdata.sales_policy import sales_policy_set
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class SalesPolicySet(CrmMutation):
    """Set how far a role of a BU may discount without an approval."""

    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND)

    class Arguments:
        business_unit = graphene.String(required=True)
        role = graphene.String(required=True)
        max_discount = graphene.Decimal(required=True, description="Percent, 0 to 100.")

    sales_policy = graphene.Field(SalesPolicy)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        return {"sales_policy": sales_policy_set(access=access, **arguments)}
