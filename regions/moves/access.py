"""Region moves under the policy: group administrators schedule and cancel them, auditors see."""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.regions.models import RegionMove

REGION_MOVE = register(
    ObjectType(
        name="region_move",
        model=RegionMove,
        graphql_type="RegionMove",
        fields=tuple(
            GovernedField(name)
            for name in ("business_unit", "target_region", "scheduled_at", "status", "log")
        ),
    )
)
