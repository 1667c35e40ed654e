"""taskUpdate: change an open task's title, description, due or reminder time; a new owner
needs ASSIGN (a user of this BU)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.relationships.mutations.fields import user_pk
from crm.graphql.relationships.types import Task
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contacts.services import update_task


class TaskUpdate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.INVALID_ASSIGNEE,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        title = graphene.String()
        description = graphene.String()
        due_at = graphene.DateTime()
        remind_at = graphene.DateTime(description="null: no reminder.")
        owner = graphene.ID()

    task = graphene.Field(Task)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        owner = arguments.pop("owner", None)
        task = update_task(
            access, task_id=pk_of("Task", id), values=arguments, owner_id=user_pk(owner)
        )
        return {"task": task}
