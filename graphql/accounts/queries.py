"""Queries about people: the group's users and the business unit's teams, as the policy allows."""

from __future__ import annotations

import graphene
from django.db.models import Q

from crm.graphql.accounts.types import Team, User
from crm.graphql.core.errors import graphql_error
from crm.graphql.core.permissions import caller
from crm.platform.accounts import models
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions import access as governed
from crm.platform.permissions.vocabulary import Action

LIST_LIMIT = 200
MAX_SEARCH_LENGTH = 100


class AccountQueries(graphene.ObjectType):
    users = graphene.List(
        graphene.NonNull(User),
        required=True,
        search=graphene.String(description="Part of the user name."),
        description=f"Users you may view, by user name, at most {LIST_LIMIT}.",
    )
    teams = graphene.List(
        graphene.NonNull(Team),
        required=True,
        description="Teams of this business unit you may view, by name.",
    )

    @staticmethod
    def resolve_users(
        _root: None, info: graphene.ResolveInfo, search: str | None = None
    ) -> list[models.User]:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, governed.USER)
            queryset = models.User.objects.filter(group_id=access.business_unit.group_id)
            if search:
                if len(search) > MAX_SEARCH_LENGTH:
                    raise CrmError(
                        ErrorCode.INVALID_ARGUMENT,
                        field="search",
                        reason=f"at most {MAX_SEARCH_LENGTH} characters",
                    )
                access.require_readable(governed.USER, "username", argument="search")
                queryset = queryset.filter(Q(username__icontains=search.strip()))
        except CrmError as error:
            raise graphql_error(error) from error
        visible = access.visible(governed.USER, queryset).prefetch_related(
            "memberships__role", "memberships__business_unit"
        )
        return list(visible.order_by("username")[:LIST_LIMIT])

    @staticmethod
    def resolve_teams(_root: None, info: graphene.ResolveInfo) -> list[models.Team]:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, governed.TEAM)
        except CrmError as error:
            raise graphql_error(error) from error
        queryset = models.Team.objects.filter(
            group_id=access.business_unit.group_id, business_unit=access.business_unit
        )
        visible = access.visible(governed.TEAM, queryset).select_related("parent", "manager")
        return list(visible.prefetch_related("members").order_by("name"))
