"""Contacts (personal data), activities and tasks under the policy."""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.contacts import models

CONTACT = register(
    ObjectType(
        name="contact",
        model=models.Contact,
        graphql_type="Contact",
        fields=(
            *(
                GovernedField(name, personal=True)
                for name in (
                    "first_name",
                    "last_name",
                    "first_name_latin",
                    "last_name_latin",
                    "email",
                    "phone",
                    "mobile",
                )
            ),
            *(
                GovernedField(name)
                for name in (
                    "account",
                    "job_title",
                    "buying_role",
                    "language",
                    "consent_email",
                    "consent_phone",
                    "owner",
                    "custom_fields",
                )
            ),
        ),
        group_field=None,
        owner_field="owner",
    )
)

ACTIVITY = register(
    ObjectType(
        name="activity",
        model=models.Activity,
        graphql_type="Activity",
        fields=(
            GovernedField("subject"),
            GovernedField("body", personal=True),
            *(
                GovernedField(name)
                for name in (
                    "kind",
                    "occurred_at",
                    "owner",
                    "account",
                    "contact",
                    "lead",
                    "opportunity",
                )
            ),
        ),
        group_field=None,
        owner_field="owner",
    )
)

TASK = register(
    ObjectType(
        name="task",
        model=models.Task,
        graphql_type="Task",
        fields=tuple(
            GovernedField(name)
            for name in (
                "title",
                "description",
                "due_at",
                "remind_at",
                "status",
                "owner",
                "account",
                "contact",
                "lead",
                "opportunity",
            )
        ),
        stages=tuple(models.TaskStatus.values),
        stage_field="status",
        group_field=None,
        owner_field="owner",
    )
)
