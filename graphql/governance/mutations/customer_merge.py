"""customerMerge: merge duplicate golden customers into a survivor; BUs are redirected after."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.customers.types import Customer
from crm.masterdata.governance.merges import merge_customers
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class CustomerMergeResult(graphene.ObjectType):
    status = graphene.String(required=True, description="REDIRECTING, then DONE.")
    pending_business_units = graphene.Int(
        required=True, description="BUs of this cell whose references are still being moved."
    )


class CustomerMerge(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID)

    class Arguments:
        survivor = graphene.ID(required=True)
        merged = graphene.List(graphene.NonNull(graphene.ID), required=True)
        why = graphene.String(required=True)

    survivor = graphene.Field(Customer)
    merge = graphene.Field(CustomerMergeResult)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        survivor: str,
        merged: list[str],
        why: str,
    ) -> dict[str, Any]:
        result = merge_customers(
            access=access,
            survivor_id=pk_of("Customer", survivor, field="survivor"),
            merged_ids=[pk_of("Customer", gid, field="merged") for gid in merged],
            reason=why,
        )
        return {
            "survivor": result.survivor,
            "merge": CustomerMergeResult(
                status=result.status, pending_business_units=len(result.pending_business_units)
            ),
        }
