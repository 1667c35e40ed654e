"""Region moves of the caller's group, as this cell knows them (the moves it ran or runs)."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.regions.types import RegionMove, RegionMoveConnection
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.regions import models
from crm.regions.moves.access import REGION_MOVE


def visible_moves(access: Access) -> Any:
    access.require_some(Action.VIEW, REGION_MOVE)
    records = models.RegionMove.objects.filter(
        group_id=access.business_unit.group_id
    ).select_related("business_unit__group")
    return access.visible(REGION_MOVE, records)


def visible_move(access: Access, move_id: int) -> models.RegionMove:
    move: models.RegionMove | None = visible_moves(access).filter(pk=move_id).first()
    if move is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object=REGION_MOVE.name, id=move_id)
    return move


class RegionQueries(graphene.ObjectType):
    region_move = graphene.Field(
        RegionMove, id=graphene.ID(required=True), description="One region move: poll it."
    )
    region_moves = relay.ConnectionField(
        RegionMoveConnection,
        description="Moves of the group's business units run by this cell, newest first.",
    )

    @staticmethod
    def resolve_region_move(_root: None, info: graphene.ResolveInfo, id: str) -> Any:
        try:
            return visible_move(caller(info), pk_of("RegionMove", id))
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_region_moves(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        **_paging: Any,
    ) -> RegionMoveConnection:
        try:
            page = keyset_page(
                visible_moves(caller(info)),
                kind="RegionMove",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("id", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        connection: RegionMoveConnection = connection_from_page(RegionMoveConnection, page)
        return connection
