"""automationRuleCreate: a new rule of the business unit, checked part by part."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.automation.mutations.fields import rule_arguments, rule_fields
from crm.graphql.automation.types import AutomationRule
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.automation import services


class AutomationRuleCreate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
        )

    Arguments = type("Arguments", (), rule_arguments(create=True))

    rule = graphene.Field(AutomationRule)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        return {"rule": services.rule_create(access, **rule_fields(arguments))}
