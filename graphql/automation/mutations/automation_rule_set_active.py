"""automationRuleSetActive: switch a rule on or off."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.automation.types import AutomationRule
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.automation import services


class AutomationRuleSetActive(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID)

    class Arguments:
        id = graphene.ID(required=True)
        active = graphene.Boolean(required=True)

    rule = graphene.Field(AutomationRule)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        rule_id = pk_of("AutomationRule", arguments["id"])
        return {"rule": services.rule_set_active(access, rule_id, bool(arguments["active"]))}
