"""GraphQL types of region moves: a business unit moving to another region's cell."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import permissions_field
from crm.regions import models
from crm.regions.moves.access import REGION_MOVE

MoveStep = graphene.Enum.from_enum(models.MoveStep, name="RegionMoveStep")
MoveStatus = graphene.Enum.from_enum(models.MoveStatus, name="RegionMoveStatus")


class RegionMoveLogEntry(graphene.ObjectType):
    """One run of one step: when, how long, and what it did (counts, never personal data)."""

    step = graphene.Field(MoveStep, required=True)
    attempt = graphene.Int(required=True)
    started_at = graphene.DateTime(required=True)
    seconds = graphene.Float(required=True)
    outcome = graphene.String(required=True, description="done or failed")
    detail = graphene.JSONString(description="Counts, or the reason it failed.")


class RegionMoveError(graphene.ObjectType):
    step = graphene.Field(MoveStep, required=True)
    message = graphene.String(required=True)


class RegionMove(graphene.ObjectType):
    """Moving a business unit's data to another region's cell, step by step (resumable)."""

    class Meta:
        interfaces = (relay.Node,)

    business_unit = graphene.String(required=True, description="The BU's handle.")
    from_region = graphene.String(required=True)
    to_region = graphene.String(required=True)
    scheduled_at = graphene.DateTime(required=True)
    status = graphene.Field(MoveStatus, required=True)
    step = graphene.Field(MoveStep, required=True, description="The next step to run.")
    frozen = graphene.Boolean(required=True, description="The BU refuses writes meanwhile.")
    attempts = graphene.Int(required=True)
    created_at = graphene.DateTime(required=True)
    started_at = graphene.DateTime()
    finished_at = graphene.DateTime()
    log = graphene.List(graphene.NonNull(RegionMoveLogEntry), required=True)
    error = graphene.Field(RegionMoveError, description="Why it stopped, if it failed.")
    permissions = permissions_field(REGION_MOVE)

    @staticmethod
    def resolve_business_unit(root: models.RegionMove, _info: graphene.ResolveInfo) -> str:
        return str(root.business_unit.handle)

    @staticmethod
    def resolve_from_region(root: models.RegionMove, _info: graphene.ResolveInfo) -> str:
        return str(root.source_region_id)

    @staticmethod
    def resolve_to_region(root: models.RegionMove, _info: graphene.ResolveInfo) -> str:
        return str(root.target_region_id)

    @staticmethod
    def resolve_status(root: models.RegionMove, _info: graphene.ResolveInfo) -> Any:
        return models.MoveStatus(root.status)

    @staticmethod
    def resolve_step(root: models.RegionMove, _info: graphene.ResolveInfo) -> Any:
        return models.MoveStep(root.step)

    @staticmethod
    def resolve_log(root: models.RegionMove, _info: graphene.ResolveInfo) -> list[Any]:
        return [
            RegionMoveLogEntry(
                step=models.MoveStep(entry["step"]),
                attempt=entry.get("attempt", 0),
                started_at=entry["started_at"],
                seconds=entry.get("seconds", 0.0),
                outcome=entry.get("outcome", ""),
                detail=entry.get("detail"),
            )
            for entry in root.log
        ]

    @staticmethod
    def resolve_error(root: models.RegionMove, _info: graphene.ResolveInfo) -> Any:
        if not root.error:
            return None
        return RegionMoveError(
            step=models.MoveStep(root.error["step"]), message=root.error.get("message", "")
        )


class RegionMoveConnection(CountedConnection):
    class Meta:
        node = RegionMove
