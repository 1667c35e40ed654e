"""Group-wide views under the policy: one type, one field per aggregate.

The policy can then let a director see the pipeline but not the receivables, say. The record is
the group itself. Group views are served only in the group's HQ business unit, so a group-scope
rule grants them to a group-level role, and a BU-scope rule to a role held in the HQ BU.
"""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.models import Group

# Field names are the aggregates' names (`crm.regions.federation.contract.REGISTRY`).
GROUP_VIEW = register(
    ObjectType(
        name="group_view",
        model=Group,
        graphql_type="GroupView",
        fields=tuple(
            GovernedField(name)
            for name in (
                "pipeline",
                "lead_sources",
                "receivables",
                "channel_roi",
                "customer_distribution",
                "rfm",
                "receivables_aging",
                "funnel",
                "performance",
            )
        ),
        group_field=None,
    )
)
