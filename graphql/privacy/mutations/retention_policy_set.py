"""retentionPolicySet: after how many months a kind of record is anonymized in this region's
business units of the group (created or changed)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.privacy.types import RetentionPolicy, RetentionRecordTypeEnum
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.regions.privacy.retention import policy_set


class RetentionPolicySet(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT,)

    class Arguments:
        record_type = graphene.Argument(RetentionRecordTypeEnum, required=True)
        months = graphene.Int(required=True, description="1 to 240.")
        active = graphene.Boolean(default_value=True)

    policy = graphene.Field(RetentionPolicy)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        policy = policy_set(
            access,
            record_type=arguments["record_type"],
            months=arguments["months"],
            active=arguments.get("active", True),
        )
        return {"policy": policy}
