"""teamDelete: remove a team that has no teams below it (IN_USE otherwise)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.accounts.teams import team_delete
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class TeamDelete(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID, ErrorCode.IN_USE)

    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID()

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        team_delete(access=access, team_id=pk_of("Team", id))
        return {"deleted_id": id}
