"""assignmentRuleCreate, assignmentRuleUpdate, assignmentRuleDelete: who captured leads go to."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.leads.mutations.tag_rule_save import CONDITIONS
from crm.graphql.leads.types import AssignmentMethod, AssignmentRule
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads import models
from crm.tenants.leads.routing import assignment_rule_save, rule_delete

RULE_ERRORS = (
    ErrorCode.INVALID_ARGUMENT,
    ErrorCode.NOT_FOUND,
    ErrorCode.MALFORMED_ID,
    ErrorCode.INVALID_ASSIGNEE,
)


def _changes(arguments: dict[str, Any]) -> dict[str, Any]:
    changes = dict(arguments)
    if "method" in changes:
        method = changes["method"]
        changes["method"] = None if method is None else str(getattr(method, "value", method))
    if "user" in changes:
        user = changes.pop("user")
        changes["user_id"] = pk_of("User", user, field="user") if user else None
    if "team" in changes:
        team = changes.pop("team")
        changes["team_id"] = pk_of("Team", team, field="team") if team else None
    return changes


class AssignmentRuleCreate(CrmMutation):
    class Meta:
        error_codes = RULE_ERRORS

    class Arguments:
        name = graphene.String(required=True)
        method = graphene.Argument(AssignmentMethod, required=True)
        conditions = graphene.JSONString(required=True, description=CONDITIONS)
        user = graphene.ID(description="USER: the user (User:<pk>).")
        team = graphene.ID(description="ROUND_ROBIN, LEAST_LOADED: the team (Team:<pk>).")
        position = graphene.Int()
        active = graphene.Boolean()

    rule = graphene.Field(AssignmentRule)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        return {"rule": assignment_rule_save(access, **_changes(arguments))}


class AssignmentRuleUpdate(CrmMutation):
    class Meta:
        error_codes = RULE_ERRORS

    class Arguments:
        id = graphene.ID(required=True)
        name = graphene.String()
        method = graphene.Argument(AssignmentMethod)
        conditions = graphene.JSONString(description=CONDITIONS)
        user = graphene.ID()
        team = graphene.ID()
        position = graphene.Int()
        active = graphene.Boolean()

    rule = graphene.Field(AssignmentRule)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        rule_id = pk_of("AssignmentRule", id)
        return {"rule": assignment_rule_save(access, rule_id=rule_id, **_changes(arguments))}


class AssignmentRuleDelete(CrmMutation):
    class Meta:
        error_codes = RULE_ERRORS

    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID()

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        rule_delete(access, models.AssignmentRule, pk_of("AssignmentRule", id))
        return {"deleted_id": id}
