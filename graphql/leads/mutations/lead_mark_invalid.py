"""leadMarkInvalid: an open lead is invalid (spam, duplicate, unreachable...), with a note."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.leads.types import InvalidReason, Lead
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads.services import lead_mark_invalid


class LeadMarkInvalid(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.RECORD_CLOSED,
            ErrorCode.INVALID_STAGE_CHANGE,
        )

    class Arguments:
        id = graphene.ID(required=True)
        invalid_reason = graphene.Argument(InvalidReason, required=True)
        note = graphene.String()

    lead = graphene.Field(Lead)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        id: str,
        invalid_reason: Any,
        note: str | None = None,
    ) -> dict[str, Any]:
        reason = str(getattr(invalid_reason, "value", invalid_reason))
        return {"lead": lead_mark_invalid(access, pk_of("Lead", id), reason, note or "")}
