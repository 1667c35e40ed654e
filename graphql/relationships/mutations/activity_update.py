"""activityUpdate: change an activity's kind, subject, body or time (your own, or as the policy
says); the follow-up times it counts for are recomputed."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.relationships.types import Activity, LoggableActivityKind
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contacts.services import update_activity


class ActivityUpdate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        kind = graphene.Argument(LoggableActivityKind)
        subject = graphene.String()
        body = graphene.String()
        occurred_at = graphene.DateTime()

    activity = graphene.Field(Activity)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        values = {
            name: getattr(value, "value", value) if name == "kind" else value
            for name, value in arguments.items()
        }
        activity = update_activity(access, activity_id=pk_of("Activity", id), values=values)
        return {"activity": activity}
