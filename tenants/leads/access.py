"""Leads and the BU's lead configuration under the policy."""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.leads import models

PERSONAL = ("first_name", "last_name", "email", "phone", "message")

LEAD = register(
    ObjectType(
        name="lead",
        model=models.Lead,
        graphql_type="Lead",
        fields=(
            *(GovernedField(name, personal=True) for name in PERSONAL),
            *(
                GovernedField(name)
                for name in (
                    "company_name",
                    "country",
                    "region",
                    "industry",
                    "products",
                    "product_line",
                    "source",
                    "campaign",
                    "tags",
                    "status",
                    "invalid_reason",
                    "invalid_note",
                    "overdue",
                    "owner",
                    "duplicates",
                    "custom_fields",
                    "assignments",
                )
            ),
        ),
        stages=tuple(models.LeadStatus.values),
        stage_field="status",
        group_field=None,
        owner_field="owner",
    )
)

CAMPAIGN = register(
    ObjectType(
        name="campaign",
        model=models.Campaign,
        graphql_type="Campaign",
        fields=tuple(
            GovernedField(name)
            for name in ("code", "name", "source", "cost", "starts_on", "ends_on")
        ),
        group_field=None,
    )
)

# Tagging and assignment rules: the BU's lead routing, kept by its managers.
LEAD_ROUTING = register(
    ObjectType(
        name="lead_routing",
        model=models.AssignmentRule,
        graphql_type="AssignmentRule",
        fields=tuple(
            GovernedField(name)
            for name in ("name", "position", "active", "conditions", "method", "user", "team")
        ),
        group_field=None,
    )
)
