"""taskCreate: a task with a due time and an optional reminder, yours or (ASSIGN) another BU
user's, optionally about an account, a contact, a lead or an opportunity."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.relationships.mutations.fields import target_arguments, targets, user_pk
from crm.graphql.relationships.types import Task
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contacts.services import create_task


class TaskCreate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.INVALID_ASSIGNEE,
        )

    Arguments = type(
        "Arguments",
        (),
        {
            "title": graphene.String(required=True),
            "description": graphene.String(),
            "due_at": graphene.DateTime(required=True),
            "remind_at": graphene.DateTime(description="When to remind the owner."),
            "owner": graphene.ID(description="Default: you. Another user needs ASSIGN."),
            **target_arguments(),
        },
    )

    task = graphene.Field(Task)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        values = {
            name: arguments[name]
            for name in ("title", "description", "due_at", "remind_at")
            if name in arguments
        }
        task = create_task(
            access, values=values, owner_id=user_pk(arguments.get("owner")), **targets(arguments)
        )
        return {"task": task}
