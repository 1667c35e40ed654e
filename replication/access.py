"""Replication status under the policy: group administrators see their group's replication."""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.replication.models import Incident

REPLICATION = register(
    ObjectType(
        name="replication",
        model=Incident,
        graphql_type="ReplicationStatus",
        fields=tuple(GovernedField(name) for name in ("cells", "incidents")),
    )
)
