"""taskComplete: an open task is done (the policy's ADVANCE on it)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.relationships.types import Task
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contacts.services import complete_task


class TaskComplete(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID, ErrorCode.RECORD_CLOSED)

    class Arguments:
        id = graphene.ID(required=True)

    task = graphene.Field(Task)

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        return {"task": complete_task(access, task_id=pk_of("Task", id))}
