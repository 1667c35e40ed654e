"""regionMoveCancel: call off a move that has not started (RECORD_CLOSED otherwise)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.regions.queries import visible_move
from crm.graphql.regions.types import RegionMove
from crm.platform.accounts.models import User
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.regions.moves.runner import cancel_move


class RegionMoveCancel(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID, ErrorCode.RECORD_CLOSED)

    class Arguments:
        id = graphene.ID(required=True)

    move = graphene.Field(RegionMove)

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        move = visible_move(access, pk_of("RegionMove", id))
        access.require(Action.EDIT, move)
        user_id = access.principal.user_id
        actor = User.objects.filter(pk=user_id).first() if user_id is not None else None
        return {"move": cancel_move(move=move, actor=actor)}
