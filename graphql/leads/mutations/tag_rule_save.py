"""tagRuleCreate, tagRuleUpdate, tagRuleDelete: tags given to captured leads by conditions."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.leads.types import TagRule
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads import models
from crm.tenants.leads.routing import rule_delete, tag_rule_save

RULE_ERRORS = (ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID)
CONDITIONS = 'A JSON list of {"field", "op", "value"}; all must hold.'


class TagRuleCreate(CrmMutation):
    class Meta:
        error_codes = RULE_ERRORS

    class Arguments:
        tag = graphene.String(required=True)
        conditions = graphene.JSONString(required=True, description=CONDITIONS)
        position = graphene.Int()
        active = graphene.Boolean()

    rule = graphene.Field(TagRule)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        return {"rule": tag_rule_save(access, **arguments)}


class TagRuleUpdate(CrmMutation):
    class Meta:
        error_codes = RULE_ERRORS

    class Arguments:
        id = graphene.ID(required=True)
        tag = graphene.String()
        conditions = graphene.JSONString(description=CONDITIONS)
        position = graphene.Int()
        active = graphene.Boolean()

    rule = graphene.Field(TagRule)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        return {"rule": tag_rule_save(access, rule_id=pk_of("TagRule", id), **arguments)}


class TagRuleDelete(CrmMutation):
    class Meta:
        error_codes = RULE_ERRORS

    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID()

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        rule_delete(access, models.TagRule, pk_of("TagRule", id))
        return {"deleted_id": id}
