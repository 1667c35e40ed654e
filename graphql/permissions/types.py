"""GraphQL types of access administration: the caller, roles, policy, API keys, the audit log."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import Action, FieldMode, FieldPermission, permissions_field
from crm.i18n import languages
from crm.platform.accounts import models as accounts
from crm.platform.permissions import access as governed
from crm.platform.permissions import models
from crm.platform.permissions.vocabulary import Scope as ScopeChoice

Scope = graphene.Enum("Scope", [(choice.name, choice.value) for choice in ScopeChoice])
AuditEvent = graphene.Enum.from_enum(models.AuditEvent)


class Role(graphene.ObjectType):
    code = graphene.String(required=True)
    name = graphene.String(required=True, description="In the request's language.")

    @staticmethod
    def resolve_name(root: accounts.Role, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "name", [info.context.LANGUAGE_CODE, "en"])


class RoleHeld(graphene.ObjectType):
    role = graphene.Field(Role, required=True)
    business_unit = graphene.String(description="BU code; null for a group-level role.")


class Me(graphene.ObjectType):
    """The caller: a user, or an API key acting with one role."""

    name = graphene.String(required=True, description="User name, or the API key's label.")
    is_api_key = graphene.Boolean(required=True)
    roles_here = graphene.List(
        graphene.NonNull(RoleHeld),
        required=True,
        description="The roles that apply in this business unit (its own and group-level).",
    )


class PolicyRule(graphene.ObjectType):
    object_type = graphene.String(required=True)
    role = graphene.String(required=True, description="Role code.")
    stage = graphene.String(required=True, description="Empty: every stage.")
    scope = graphene.Field(Scope, required=True)
    actions = graphene.List(graphene.NonNull(Action), required=True)
    default_field_mode = graphene.Field(FieldMode, required=True)
    field_modes = graphene.List(graphene.NonNull(FieldPermission), required=True)

    @staticmethod
    def resolve_role(root: models.PolicyRule, _info: graphene.ResolveInfo) -> str:
        return root.role.code

    @staticmethod
    def resolve_field_modes(root: models.PolicyRule, _info: graphene.ResolveInfo) -> list[Any]:
        return [FieldPermission(name=k, mode=v) for k, v in sorted(root.field_modes.items())]


class PolicyVersion(graphene.ObjectType):
    """One version of the group's policy; the active one decides every request."""

    number = graphene.Int()
    active = graphene.Boolean()
    note = graphene.String()
    created_at = graphene.DateTime()
    rules = graphene.List(graphene.NonNull(PolicyRule))
    permissions = permissions_field(governed.POLICY)

    @staticmethod
    def resolve_rules(root: models.PolicyVersion, _info: graphene.ResolveInfo) -> list[Any]:
        # Sorted here so that a prefetched history costs no query per version.
        rules = list(root.rules.all())  # prefetched with their roles by the queries
        return sorted(rules, key=lambda r: (r.object_type, r.role.code, r.stage, r.scope))


class ApiKey(graphene.ObjectType):
    """An integrator's key. The secret is shown once, by apiKeyCreate; only a digest is kept."""

    class Meta:
        interfaces = (relay.Node,)

    name = graphene.String()
    prefix = graphene.String(description="Public part of the token, to recognise it.")
    role = graphene.String()
    business_unit = graphene.String(description="BU code; null for a group-wide key.")
    created_at = graphene.DateTime()
    last_used_at = graphene.DateTime()
    revoked_at = graphene.DateTime()
    permissions = permissions_field(governed.API_KEY)

    @staticmethod
    def resolve_role(root: accounts.ApiKey, _info: graphene.ResolveInfo) -> str:
        return root.role.code

    @staticmethod
    def resolve_business_unit(root: accounts.ApiKey, _info: graphene.ResolveInfo) -> str | None:
        return root.business_unit.code if root.business_unit else None


class Membership(graphene.ObjectType):
    class Meta:
        interfaces = (relay.Node,)

    user = graphene.String(description="User name.")
    role = graphene.String()
    business_unit = graphene.String(description="BU code; null for a group-level role.")
    permissions = permissions_field(governed.MEMBERSHIP)

    @staticmethod
    def resolve_user(root: accounts.Membership, _info: graphene.ResolveInfo) -> str:
        return root.user.username

    @staticmethod
    def resolve_role(root: accounts.Membership, _info: graphene.ResolveInfo) -> str:
        return root.role.code

    @staticmethod
    def resolve_business_unit(root: accounts.Membership, _info: graphene.ResolveInfo) -> str | None:
        return root.business_unit.code if root.business_unit else None


class AuditEntry(graphene.ObjectType):
    """Who did or tried what, when, from where. Personal data: reading it is itself audited."""

    class Meta:
        interfaces = (relay.Node,)

    at = graphene.DateTime()
    event = graphene.Field(AuditEvent)
    actor = graphene.String()
    business_unit = graphene.String()
    action = graphene.String()
    object_type = graphene.String()
    object_ids = graphene.List(graphene.NonNull(graphene.String))
    field = graphene.String()
    code = graphene.String()
    origin = graphene.String()
    user_agent = graphene.String()
    permissions = permissions_field(governed.AUDIT_ENTRY)

    @staticmethod
    def resolve_event(root: models.AuditEntry, _info: graphene.ResolveInfo) -> object:
        return models.AuditEvent(root.event)

    @staticmethod
    def resolve_business_unit(root: models.AuditEntry, _info: graphene.ResolveInfo) -> str | None:
        return root.business_unit.code if root.business_unit else None


class AuditEntryConnection(CountedConnection):
    class Meta:
        node = AuditEntry
