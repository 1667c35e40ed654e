"""Automation rules under the policy; notifications are their recipient's own."""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.automation import models

AUTOMATION_RULE = register(
    ObjectType(
        name="automation_rule",
        model=models.Rule,
        graphql_type="AutomationRule",
        fields=tuple(
            GovernedField(name)
            for name in (
                "code",
                "name",
                "description",
                "active",
                "record_type",
                "trigger",
                "parameters",
                "conditions",
                "actions",
                "position",
                "firings",
            )
        ),
        group_field=None,
    )
)

NOTIFICATION = register(
    ObjectType(
        name="notification",
        model=models.Notification,
        graphql_type="Notification",
        fields=(
            GovernedField("subject"),
            GovernedField("body", personal=True),
            GovernedField("record"),
            GovernedField("read_at"),
            GovernedField("created_at"),
        ),
        group_field=None,
        owner_field="recipient",
    )
)

# Integrators (and the BU's managers) report events about records: an e-mail opened, a link
# clicked. Recording one runs the BU's EXTERNAL rules.
EXTERNAL_EVENT = register(
    ObjectType(
        name="external_event",
        model=models.ExternalEvent,
        graphql_type="ExternalEvent",
        fields=tuple(
            GovernedField(name)
            for name in (
                "kind",
                "record_type",
                "record_id",
                "external_id",
                "details",
                "occurred_at",
            )
        ),
        group_field=None,
    )
)
