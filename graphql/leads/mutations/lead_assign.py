"""leadAssign: a manager gives an open lead to an active user holding a role in this BU."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.leads.types import Lead
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads.services import lead_assign


class LeadAssign(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ASSIGNEE,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        user = graphene.ID(required=True, description="User:<pk>")
        note = graphene.String(description="Why it is given to this user (kept with it).")

    lead = graphene.Field(Lead)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        id: str,
        user: str,
        note: str | None = None,
    ) -> dict[str, Any]:
        lead_id = pk_of("Lead", id)
        user_id = pk_of("User", user, field="user")
        return {"lead": lead_assign(access, lead_id, user_id, reason=note or "")}
