"""targetUpdate: change a target's value or note."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.performance.types import Target
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.performance import targets


class TargetUpdate(CrmMutation):
    class Meta:
        description = (
            "Change a target's amount (won revenue, group currency), deal count (won deals) or "
            "note. Its subject, period and metric stay: remove it and set another instead."
        )
        error_codes = (ErrorCode.MALFORMED_ID, ErrorCode.NOT_FOUND, ErrorCode.INVALID_ARGUMENT)

    class Arguments:
        id = graphene.ID(required=True)
        amount = graphene.Decimal()
        currency = graphene.String(description="If given, the group currency.")
        deal_count = graphene.Int()
        note = graphene.String()

    target = graphene.Field(Target)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name, key in (("amount", "amount"), ("deal_count", "count")):
            if arguments.get(name) is not None:
                changes[key] = arguments[name]
        updated = targets.target_update(
            access,
            pk_of("Target", id),
            currency=arguments.get("currency"),
            note=arguments.get("note"),
            **changes,
        )
        return {"target": targets.get_target(access, updated.pk)}
