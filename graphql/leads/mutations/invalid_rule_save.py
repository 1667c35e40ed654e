"""invalidRuleCreate, invalidRuleUpdate, invalidRuleDelete: leads captured matching the
conditions are kept but marked invalid with the rule's reason (spam, test entries...)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.leads.mutations.tag_rule_save import CONDITIONS, RULE_ERRORS
from crm.graphql.leads.types import InvalidReason, InvalidRule
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads import models
from crm.tenants.leads.routing import invalid_rule_save, rule_delete


def _changes(arguments: dict[str, Any]) -> dict[str, Any]:
    changes = dict(arguments)
    # `reason` of every mutation is the history's "why": the rule's reason is `invalidReason`.
    if "invalid_reason" in changes:
        value = changes.pop("invalid_reason")
        changes["reason"] = None if value is None else str(getattr(value, "value", value))
    return changes


class InvalidRuleCreate(CrmMutation):
    class Meta:
        error_codes = RULE_ERRORS

    class Arguments:
        name = graphene.String(required=True)
        invalid_reason = graphene.Argument(InvalidReason, required=True)
        conditions = graphene.JSONString(required=True, description=CONDITIONS)
        position = graphene.Int()
        active = graphene.Boolean()

    rule = graphene.Field(InvalidRule)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        return {"rule": invalid_rule_save(access, **_changes(arguments))}


class InvalidRuleUpdate(CrmMutation):
    class Meta:
        error_codes = RULE_ERRORS

    class Arguments:
        id = graphene.ID(required=True)
        name = graphene.String()
        invalid_reason = graphene.Argument(InvalidReason)
        conditions = graphene.JSONString(description=CONDITIONS)
        position = graphene.Int()
        active = graphene.Boolean()

    rule = graphene.Field(InvalidRule)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        rule_id = pk_of("InvalidRule", id)
        return {"rule": invalid_rule_save(access, rule_id=rule_id, **_changes(arguments))}


class InvalidRuleDelete(CrmMutation):
    class Meta:
        error_codes = (*RULE_ERRORS, ErrorCode.NOT_FOUND)

    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID()

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        rule_delete(access, models.InvalidRule, pk_of("InvalidRule", id))
        return {"deleted_id": id}
