"""retentionPolicyDelete: the group keeps that kind of record in this region without a limit."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.privacy.types import RetentionRecordTypeEnum
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.regions.privacy.retention import policy_delete


class RetentionPolicyDelete(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.INVALID_ARGUMENT)

    class Arguments:
        record_type = graphene.Argument(RetentionRecordTypeEnum, required=True)

    deleted = graphene.Boolean()

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        policy_delete(access, record_type=arguments["record_type"])
        return {"deleted": True}
