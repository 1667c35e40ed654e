"""The policy engine at the API's edge: who is calling, hidden fields, and `permissions` fields.

Hidden fields behave one way everywhere: a governed field the caller may not read resolves to
`null` with an error entry whose code is FIELD_FORBIDDEN (at that field's path); it is never
selected into a filter, an ordering, an aggregate or an export either (those refuse the whole
request with FIELD_FORBIDDEN). Every governed field is therefore nullable in the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graphene
from graphene.utils.str_converters import to_camel_case

from crm.graphql.core.errors import graphql_error
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access, Permissions
from crm.platform.permissions.registry import BY_GRAPHQL_TYPE, REGISTRY, ObjectType
from crm.platform.permissions.vocabulary import Action as ActionChoice
from crm.platform.permissions.vocabulary import FieldMode as FieldModeValue
from graphql import GraphQLError

Action = graphene.Enum(
    "Action",
    [(choice.name, choice.value) for choice in ActionChoice],
    description="What one may do.",
)
FieldMode = graphene.Enum(
    "FieldMode",
    [(mode.name, mode.label) for mode in FieldModeValue],
    description="hidden/read/write",
)


def object_type_enum() -> type[graphene.Enum]:
    enum: type[graphene.Enum] = graphene.Enum(
        "ObjectTypeName",
        [(name.upper(), name) for name in sorted(REGISTRY)],
        description="The record types the policy governs.",
    )
    return enum


HIDDEN = FieldModeValue.HIDDEN


def caller(info: graphene.ResolveInfo) -> Access:
    """The caller's access, or UNAUTHENTICATED when the request carries no token."""
    access: Access | None = getattr(info.context, "access", None)
    if access is None:
        raise CrmError(ErrorCode.UNAUTHENTICATED)
    return access


def access_of(info: graphene.ResolveInfo) -> Access:
    """`caller` for resolvers: the refusal as a GraphQL error entry."""
    try:
        return caller(info)
    except CrmError as error:
        raise graphql_error(error) from error


def _governed_names() -> dict[str, dict[str, str]]:
    """GraphQL type -> {GraphQL field name: policy field name}."""
    return {
        graphql_type: {to_camel_case(f.name): f.name for f in object_type.fields}
        for graphql_type, object_type in BY_GRAPHQL_TYPE.items()
    }


class FieldPolicyMiddleware:
    """Before a governed field resolves, ask the engine for the caller's mode on that record."""

    def __init__(self) -> None:
        self._names: dict[str, dict[str, str]] | None = None

    def governed_field(self, graphql_type: str, field_name: str) -> tuple[ObjectType, str] | None:
        """The policy's object type and field name behind a GraphQL field, if it governs it."""
        names = self._names
        if names is None:
            names = self._names = _governed_names()
        governed = names.get(graphql_type)
        name = governed.get(field_name) if governed is not None else None
        if name is None:
            return None
        return BY_GRAPHQL_TYPE[graphql_type], name

    @staticmethod
    def readable(access: Access | None, object_type: ObjectType, name: str, root: Any) -> bool:
        """Whether the caller reads this governed field of `root` with nothing else to do (no
        refusal to report); what `resolve` checks, for the executor's path for plain fields."""
        if access is None:
            return False
        return access.on_node(object_type, root).modes.get(name, HIDDEN) is not HIDDEN

    def resolve(
        self, next_: Callable[..., Any], root: Any, info: graphene.ResolveInfo, **args: Any
    ) -> Any:
        # Runs for every field of every response: kept to dictionary lookups until a governed
        # field is met; the record's permissions are computed once per record (`on_node`).
        names = self._names
        if names is None:
            names = self._names = _governed_names()
        governed = names.get(info.parent_type.name)
        if governed is None:
            return next_(root, info, **args)
        name = governed.get(info.field_name)
        if name is None:
            return next_(root, info, **args)
        access: Access | None = info.context.access
        if access is None:
            raise graphql_error(CrmError(ErrorCode.UNAUTHENTICATED))
        object_type = BY_GRAPHQL_TYPE[info.parent_type.name]
        if access.on_node(object_type, root).modes.get(name, HIDDEN) is HIDDEN:
            access.forbidden_read(object_type, root.pk, name)
            raise GraphQLError(
                CrmError(ErrorCode.FIELD_FORBIDDEN, object=object_type.name, name=name).message,
                extensions={
                    "code": ErrorCode.FIELD_FORBIDDEN.value,
                    "field": info.field_name,
                    "object": object_type.name,
                    "name": name,
                },
            )
        if name in object_type.personal_names:
            access.read_personal(object_type, root.pk, name)
        return next_(root, info, **args)


class FieldPermission(graphene.ObjectType):
    name = graphene.String(required=True, description="The policy's field name (snake_case).")
    mode = graphene.Field(FieldMode, required=True)


class RecordPermissions(graphene.ObjectType):
    """What the caller may do on a record (or on records of a type at a stage)."""

    object_type = graphene.String(required=True)
    stage = graphene.String(required=True, description="Empty for types without stages.")
    actions = graphene.List(graphene.NonNull(Action), required=True)
    fields = graphene.List(graphene.NonNull(FieldPermission), required=True)


def record_permissions(permissions: Permissions, stage: str) -> RecordPermissions:
    return RecordPermissions(
        object_type=permissions.object_type.name,
        stage=stage,
        actions=[
            ActionChoice(action).value for action in ActionChoice if action in permissions.actions
        ],
        fields=[
            FieldPermission(name=f.name, mode=permissions.mode(f.name).label)
            for f in permissions.object_type.fields
        ],
    )


def permissions_field(object_type: ObjectType) -> graphene.Field:
    """The `permissions` field of a record type: resolved from the loaded record, no SQL."""

    def resolve(root: Any, info: graphene.ResolveInfo) -> RecordPermissions:
        permissions = access_of(info).on_record(object_type, root)
        return record_permissions(permissions, object_type.stage_of(root))

    return graphene.Field(
        RecordPermissions,
        required=True,
        resolver=resolve,
        description="What you may do on this record and each field's mode for you.",
    )
