"""GraphQL types of people: users of the group and the teams of a business unit."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.core.permissions import permissions_field
from crm.platform.accounts import models
from crm.platform.permissions import access as governed


class UserMembership(graphene.ObjectType):
    role = graphene.String(required=True)
    business_unit = graphene.String(description="BU code; null for a group-level role.")


class User(graphene.ObjectType):
    """A person of the group. Names and e-mail are personal data: reading them is audited."""

    class Meta:
        interfaces = (relay.Node,)

    username = graphene.String()
    email = graphene.String()
    first_name = graphene.String()
    last_name = graphene.String()
    language = graphene.String(description="Preferred language; empty: the BU's.")
    is_active = graphene.Boolean()
    memberships = graphene.List(graphene.NonNull(UserMembership))
    permissions = permissions_field(governed.USER)

    @staticmethod
    def resolve_memberships(root: models.User, _info: graphene.ResolveInfo) -> list[Any]:
        return [
            UserMembership(
                role=m.role.code, business_unit=m.business_unit.code if m.business_unit else None
            )
            for m in root.memberships.all()
        ]


class Team(graphene.ObjectType):
    """A team of the request's business unit; its manager reaches the records of the team and
    of the teams below."""

    class Meta:
        interfaces = (relay.Node,)

    name = graphene.String()
    parent = graphene.String(description="The parent team's name.")
    manager = graphene.String(description="The manager's user name.")
    members = graphene.List(graphene.NonNull(graphene.String), description="User names.")
    permissions = permissions_field(governed.TEAM)

    @staticmethod
    def resolve_parent(root: models.Team, _info: graphene.ResolveInfo) -> str | None:
        return root.parent.name if root.parent else None

    @staticmethod
    def resolve_manager(root: models.Team, _info: graphene.ResolveInfo) -> str | None:
        return root.manager.username if root.manager else None

    @staticmethod
    def resolve_members(root: models.Team, _info: graphene.ResolveInfo) -> list[str]:
        return sorted(member.username for member in root.members.all())
