"""approvalDelegate: let someone decide your approvals (or, for managers, another's) for a while."""

from __future__ import annotations

import datetime
from typing import Any

import graphene

from crm.graphql.contracts.types import ApprovalDelegation
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contracts import approvals


class ApprovalDelegate(CrmMutation):
    class Meta:
        description = (
            "From `startsOn` to `endsOn` (inclusive), `delegate` may decide the approvals "
            "`delegator` (default: you) may. Delegating for someone else needs the assign "
            "permission on approvals (BU managers)."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.INVALID_ASSIGNEE,
        )

    class Arguments:
        delegate = graphene.ID(required=True, description="User:<pk>")
        starts_on = graphene.Date(required=True)
        ends_on = graphene.Date(required=True)
        delegator = graphene.ID(description="User:<pk>; default: you.")
        note = graphene.String()

    delegation = graphene.Field(ApprovalDelegation)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        delegate: str,
        starts_on: datetime.date,
        ends_on: datetime.date,
        delegator: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        record = approvals.delegate(
            access,
            delegate_id=pk_of("User", delegate, field="delegate"),
            delegator_id=pk_of("User", delegator, field="delegator") if delegator else None,
            starts_on=starts_on,
            ends_on=ends_on,
            note=note or "",
        )
        return {"delegation": record}
