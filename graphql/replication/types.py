"""GraphQL types of replication status: per cell versions, pending entries, lag; incidents."""

from __future__ import annotations

from typing import Any

import graphene

from crm.replication.models import Incident
from crm.replication.status import CellStatus


def _seconds(microseconds: int | None) -> float | None:
    return None if microseconds is None else microseconds / 1_000_000


class ReplicationCell(graphene.ObjectType):
    """One other cell as the home cell sees it, or this replica cell itself."""

    region = graphene.String(required=True)
    acknowledged_version = graphene.Int(
        description="Home cell: the last version this cell acknowledged."
    )
    applied_version = graphene.Int(description="The last version applied in this cell.")
    pending = graphene.Int(description="Home cell: entries this cell has not acknowledged yet.")
    last_lag_seconds = graphene.Float(
        description="Applied time minus the home cell's capture time, of the last entry."
    )
    median_lag_seconds = graphene.Float(description="Median lag over the latest 1,000 entries.")
    worst_lag_seconds = graphene.Float(description="Worst lag over the latest 1,000 entries.")
    failures = graphene.Int(required=True, description="Failed pushes in a row (home cell).")
    last_error = graphene.String(required=True)
    last_success_at = graphene.DateTime()
    next_attempt_at = graphene.DateTime(description="While backing off: the next attempt.")

    @staticmethod
    def resolve_last_lag_seconds(root: CellStatus, _info: Any) -> float | None:
        return _seconds(root.last_lag_us)

    @staticmethod
    def resolve_median_lag_seconds(root: CellStatus, _info: Any) -> float | None:
        return _seconds(root.median_lag_us)

    @staticmethod
    def resolve_worst_lag_seconds(root: CellStatus, _info: Any) -> float | None:
        return _seconds(root.worst_lag_us)


class ReplicationIncidentKind(graphene.Enum):
    BAD_SIGNATURE = "BAD_SIGNATURE"
    MALFORMED = "MALFORMED"
    WRONG_SOURCE = "WRONG_SOURCE"
    APPLY_FAILED = "APPLY_FAILED"
    PROVISIONING_FAILED = "PROVISIONING_FAILED"


class ReplicationIncident(graphene.ObjectType):
    """A batch this cell refused or could not apply; nothing of it was changed."""

    at = graphene.DateTime(required=True)
    kind = graphene.Field(ReplicationIncidentKind, required=True)
    source = graphene.String(required=True, description="The cell the batch claimed to be from.")
    reason = graphene.String(required=True)
    key_id = graphene.String(required=True, description="The signing key id it named.")
    first_version = graphene.Int()
    last_version = graphene.Int()

    @staticmethod
    def resolve_kind(root: Incident, _info: Any) -> str:
        return str(root.kind)


class ReplicationStatus(graphene.ObjectType):
    """The caller's group's master-data replication, as this cell sees it."""

    region = graphene.String(required=True, description="This cell's region.")
    home_region = graphene.String(required=True, description="The group's home cell.")
    is_home = graphene.Boolean(required=True)
    head_version = graphene.Int(description="Home cell: the last version given out.")
    cells = graphene.List(graphene.NonNull(ReplicationCell))
    incidents = graphene.List(graphene.NonNull(ReplicationIncident))
