"""automationRuleUpdate: change a rule; the whole rule is checked again."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.automation.mutations.fields import rule_arguments, rule_fields
from crm.graphql.automation.types import AutomationRule
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.automation import services


class AutomationRuleUpdate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
        )

    Arguments = type(
        "Arguments", (), {"id": graphene.ID(required=True), **rule_arguments(create=False)}
    )

    rule = graphene.Field(AutomationRule)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        rule_id = pk_of("AutomationRule", arguments.pop("id"))
        return {"rule": services.rule_update(access, rule_id, **rule_fields(arguments))}
