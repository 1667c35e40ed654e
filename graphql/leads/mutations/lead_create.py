"""leadCreate: a person enters a lead by hand; it is theirs unless a manager names an owner."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.leads.inputs import LeadInput, lead_data
from crm.graphql.leads.mutations.lead_capture import CAPTURE_ERRORS
from crm.graphql.leads.types import Lead, LeadDuplicate
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads.services import capture_lead


class LeadCreate(CrmMutation):
    class Meta:
        error_codes = (*CAPTURE_ERRORS, ErrorCode.INVALID_ASSIGNEE)

    class Arguments:
        lead = graphene.Argument(LeadInput, required=True)
        owner = graphene.ID(description="Give it to this user (User:<pk>; managers only).")
        by_rules = graphene.Boolean(
            default_value=False, description="Let the assignment rules choose the owner."
        )
        idempotency_key = graphene.String()

    lead = graphene.Field(Lead)
    duplicates = graphene.List(graphene.NonNull(LeadDuplicate))

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        lead: dict[str, Any],
        owner: str | None = None,
        by_rules: bool = False,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        owner_id = pk_of("User", owner, field="owner") if owner else None
        captured = capture_lead(
            access,
            lead_data(lead),
            idempotency_key=idempotency_key,
            channel="MANUAL",
            assign_by_rules=by_rules and owner_id is None,
            owner_id=owner_id,
        )
        return {"lead": captured.lead, "duplicates": captured.lead.duplicates}
