"""policyUpdate: change rules of the group's policy; a new version is active at once."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.permissions import Action, FieldMode
from crm.graphql.permissions.types import PolicyVersion, Scope
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy import RuleChange, policy_update


class FieldModeInput(graphene.InputObjectType):
    name = graphene.String(required=True)
    mode = graphene.Field(FieldMode, required=True)


class PolicyRuleInput(graphene.InputObjectType):
    """The rule for one object type, role, stage ("" = every stage) and scope."""

    object_type = graphene.String(required=True)
    role = graphene.String(required=True)
    stage = graphene.String(default_value="")
    scope = graphene.Field(Scope, required=True)
    actions = graphene.List(graphene.NonNull(Action), default_value=[])
    default_field_mode = graphene.Field(FieldMode, default_value="read")
    field_modes = graphene.List(graphene.NonNull(FieldModeInput), default_value=[])
    remove = graphene.Boolean(default_value=False, description="Delete this rule instead.")


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


class PolicyUpdate(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_POLICY, ErrorCode.NOT_FOUND)

    class Arguments:
        changes = graphene.List(graphene.NonNull(PolicyRuleInput), required=True)
        note = graphene.String(required=True, description="Why: kept with the version.")

    policy = graphene.Field(PolicyVersion)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, changes: list[dict[str, Any]], note: str
    ) -> dict[str, Any]:
        rule_changes = [
            RuleChange(
                object_type=change["object_type"],
                role=change["role"],
                stage=change.get("stage") or "",
                scope=_value(change["scope"]),
                actions=tuple(_value(a) for a in change.get("actions") or []),
                default_field_mode=_value(change.get("default_field_mode") or "read"),
                field_modes={m["name"]: _value(m["mode"]) for m in change.get("field_modes") or []},
                remove=bool(change.get("remove")),
            )
            for change in changes
        ]
        return {"policy": policy_update(access=access, changes=rule_changes, note=note)}
