"""leadSetStatus and leadQualify: NEW → CONTACTED → QUALIFIED (and back one step), INVALID →
NEW (a manager reopens it); other moves are INVALID_STAGE_CHANGE."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.leads.types import Lead, LeadStatus
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads.models import LeadStatus as Status
from crm.tenants.leads.services import lead_set_status

STATUS_ERRORS = (
    ErrorCode.NOT_FOUND,
    ErrorCode.MALFORMED_ID,
    ErrorCode.INVALID_STAGE_CHANGE,
    ErrorCode.RECORD_CLOSED,
    ErrorCode.REQUIRED_FIELD_MISSING,
)


class LeadSetStatus(CrmMutation):
    class Meta:
        error_codes = STATUS_ERRORS

    class Arguments:
        id = graphene.ID(required=True)
        status = graphene.Argument(LeadStatus, required=True)

    lead = graphene.Field(Lead)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, status: Any
    ) -> dict[str, Any]:
        value = str(getattr(status, "value", status))
        return {"lead": lead_set_status(access, pk_of("Lead", id), value)}


class LeadQualify(CrmMutation):
    """A contacted lead is qualified: ready to be converted."""

    class Meta:
        error_codes = STATUS_ERRORS

    class Arguments:
        id = graphene.ID(required=True)

    lead = graphene.Field(Lead)

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        return {"lead": lead_set_status(access, pk_of("Lead", id), Status.QUALIFIED)}
