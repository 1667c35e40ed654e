"""teamUpdate: rename, move under another team, change manager or set the members."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.accounts.types import Team
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.accounts.teams import team_update
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class TeamUpdate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
        )

    class Arguments:
        id = graphene.ID(required=True)
        name = graphene.String()
        parent = graphene.ID(description="The parent team's id; null makes it a top team.")
        manager = graphene.String(description="User name; null removes the manager.")
        members = graphene.List(
            graphene.NonNull(graphene.String), description="User names: the whole new set."
        )

    team = graphene.Field(Team)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "name" in arguments:
            changes["name"] = arguments["name"] or ""
        if "parent" in arguments:
            parent = arguments["parent"]
            changes["parent"] = pk_of("Team", parent, field="parent") if parent else None
        if "manager" in arguments:
            changes["manager"] = arguments["manager"]
        if "members" in arguments:
            changes["members"] = list(arguments["members"] or [])
        return {"team": team_update(access=access, team_id=pk_of("Team", id), changes=changes)}
