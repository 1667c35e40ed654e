"""activityLog: a call, visit, e-mail, meeting or note against an account, a contact, a lead or
an opportunity (at least one); a follow-up updates "last follow-up" and the lead's status."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.relationships.mutations.fields import target_arguments, targets
from crm.graphql.relationships.types import Activity, LoggableActivityKind
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contacts.services import log_activity


class ActivityLog(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.REQUIRED_FIELD_MISSING,
        )

    Arguments = type(
        "Arguments",
        (),
        {
            "kind": graphene.Argument(LoggableActivityKind, required=True),
            "subject": graphene.String(required=True),
            "body": graphene.String(),
            "occurred_at": graphene.DateTime(description="Default: now; not in the future."),
            **target_arguments(),
        },
    )

    activity = graphene.Field(Activity)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        kind = arguments["kind"]
        named = targets(arguments)
        activity = log_activity(
            access,
            kind=str(getattr(kind, "value", kind)),
            subject=arguments["subject"],
            body=arguments.get("body") or "",
            occurred_at=arguments.get("occurred_at"),
            account=named.get("account"),
            contact=named.get("contact"),
            lead=named.get("lead"),
            opportunity=named.get("opportunity"),
        )
        return {"activity": activity}
