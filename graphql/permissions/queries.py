"""Queries about access: who am I, what may I do, the policy, API keys, memberships, audit log."""

from __future__ import annotations

import datetime
from typing import Any

import graphene

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import (
    RecordPermissions,
    access_of,
    caller,
    object_type_enum,
    record_permissions,
)
from crm.graphql.permissions.types import (
    ApiKey,
    AuditEntryConnection,
    AuditEvent,
    Me,
    Membership,
    PolicyVersion,
    Role,
    RoleHeld,
)
from crm.platform.accounts import models as accounts
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions import access as governed
from crm.platform.permissions import models
from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import REGISTRY, ObjectType
from crm.platform.permissions.vocabulary import Action

LIST_LIMIT = 200
ObjectTypeName = object_type_enum()


def viewer_of(info: graphene.ResolveInfo, object_type: ObjectType) -> Access:
    """The caller, if some rule lets them view records of the type; else PERMISSION_DENIED."""
    try:
        access = caller(info)
        access.require_some(Action.VIEW, object_type)
    except CrmError as error:
        raise graphql_error(error) from error
    return access


class PermissionQueries(graphene.ObjectType):
    me = graphene.Field(Me, required=True, description="Who is calling, with which roles here.")
    my_permissions = graphene.Field(
        RecordPermissions,
        required=True,
        object_type=graphene.Argument(ObjectTypeName, required=True),
        stage=graphene.String(description="Default: the type's first stage (where it is created)."),
        description="What you may do on records of a type at a stage, and each field's mode.",
    )
    roles = graphene.List(graphene.NonNull(Role), required=True, description="The group's roles.")
    policy = graphene.Field(
        PolicyVersion,
        number=graphene.Int(description="A past version; default: the active one."),
        description="The group's policy.",
    )
    policy_versions = graphene.List(
        graphene.NonNull(PolicyVersion),
        required=True,
        description=f"The group's policy history, newest first, at most {LIST_LIMIT}.",
    )
    api_keys = graphene.List(
        graphene.NonNull(ApiKey), required=True, description=f"Newest first, at most {LIST_LIMIT}."
    )
    memberships = graphene.List(
        graphene.NonNull(Membership),
        required=True,
        username=graphene.String(),
        description=f"Roles held in the group, at most {LIST_LIMIT}.",
    )
    audit_entries = graphene.relay.ConnectionField(
        AuditEntryConnection,
        event=graphene.Argument(AuditEvent),
        since=graphene.DateTime(),
        description="The group's audit log, newest first.",
    )

    @staticmethod
    def resolve_me(_root: None, info: graphene.ResolveInfo) -> Me:
        access = access_of(info)
        roles = {
            role.pk: role
            for role in accounts.Role.objects.filter(pk__in=[g.role_id for g in access.grants])
        }
        units = {access.business_unit.pk: access.business_unit.code}
        return Me(
            name=access.principal.label,
            is_api_key=access.principal.api_key_id is not None,
            roles_here=[
                RoleHeld(role=roles[g.role_id], business_unit=units.get(g.business_unit_id or 0))
                for g in access.grants
            ],
        )

    @staticmethod
    def resolve_my_permissions(
        _root: None, info: graphene.ResolveInfo, object_type: Any, stage: str | None = None
    ) -> RecordPermissions:
        access = access_of(info)
        kind = REGISTRY[str(getattr(object_type, "value", object_type))]
        if stage is not None and stage not in kind.stages and not (stage == "" and not kind.stages):
            error = CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="stage",
                reason=f"stages of {kind.name}: {', '.join(kind.stages) or 'none'}",
            )
            raise graphql_error(error)
        permissions = access.on_type(kind, stage)
        return record_permissions(permissions, kind.initial_stage if stage is None else stage)

    @staticmethod
    def resolve_roles(_root: None, info: graphene.ResolveInfo) -> list[accounts.Role]:
        access = access_of(info)
        return list(accounts.Role.objects.filter(group_id=access.business_unit.group_id))

    @staticmethod
    def resolve_policy(
        _root: None, info: graphene.ResolveInfo, number: int | None = None
    ) -> models.PolicyVersion | None:
        access = access_of(info)
        queryset = models.PolicyVersion.objects.filter(group_id=access.business_unit.group_id)
        queryset = (
            queryset.filter(active=True) if number is None else queryset.filter(number=number)
        )
        return access.visible(governed.POLICY, queryset).first()

    @staticmethod
    def resolve_policy_versions(
        _root: None, info: graphene.ResolveInfo
    ) -> list[models.PolicyVersion]:
        access = viewer_of(info, governed.POLICY)
        queryset = models.PolicyVersion.objects.filter(group_id=access.business_unit.group_id)
        visible = access.visible(governed.POLICY, queryset).prefetch_related("rules__role")
        return list(visible.order_by("-number")[:LIST_LIMIT])

    @staticmethod
    def resolve_api_keys(_root: None, info: graphene.ResolveInfo) -> list[accounts.ApiKey]:
        access = viewer_of(info, governed.API_KEY)
        queryset = accounts.ApiKey.objects.filter(group_id=access.business_unit.group_id)
        visible = access.visible(governed.API_KEY, queryset).select_related("role", "business_unit")
        return list(visible.order_by("-created_at")[:LIST_LIMIT])

    @staticmethod
    def resolve_memberships(
        _root: None, info: graphene.ResolveInfo, username: str | None = None
    ) -> list[accounts.Membership]:
        access = viewer_of(info, governed.MEMBERSHIP)
        queryset = accounts.Membership.objects.filter(group_id=access.business_unit.group_id)
        if username:
            access.require_readable(governed.MEMBERSHIP, "user", argument="username")
            queryset = queryset.filter(user__username=username)
        visible = access.visible(governed.MEMBERSHIP, queryset)
        return list(
            visible.select_related("user", "role", "business_unit").order_by("id")[:LIST_LIMIT]
        )

    @staticmethod
    def resolve_audit_entries(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        event: Any = None,
        since: datetime.datetime | None = None,
        **_paging: Any,
    ) -> AuditEntryConnection:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, governed.AUDIT_ENTRY)
            queryset = models.AuditEntry.objects.filter(group_id=access.business_unit.group_id)
            queryset = access.visible(governed.AUDIT_ENTRY, queryset).select_related(
                "business_unit"
            )
            if event is not None:
                access.require_readable(governed.AUDIT_ENTRY, "event", argument="event")
                queryset = queryset.filter(event=str(getattr(event, "value", event)))
            if since is not None:
                access.require_readable(governed.AUDIT_ENTRY, "at", argument="since")
                queryset = queryset.filter(at__gte=since)
            page = keyset_page(
                queryset,
                kind="AuditEntry",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("id", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        connection: AuditEntryConnection = connection_from_page(AuditEntryConnection, page)
        return connection
