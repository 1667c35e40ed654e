"""teamCreate: a team in the request's business unit, optionally under a parent team."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.accounts.types import Team
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.accounts.teams import team_create
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class TeamCreate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
        )

    class Arguments:
        name = graphene.String(required=True)
        parent = graphene.ID(description="The parent team's id.")
        manager = graphene.String(description="The manager's user name.")

    team = graphene.Field(Team)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        name: str,
        parent: str | None = None,
        manager: str | None = None,
    ) -> dict[str, Any]:
        parent_id = pk_of("Team", parent, field="parent") if parent else None
        return {"team": team_create(access=access, name=name, parent_id=parent_id, manager=manager)}
