"""leadCapture: a lead from a web form or an integrator, idempotent by key; tagged, checked for
duplicates and assigned by the business unit's rules in the same transaction."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.leads.inputs import LeadInput, lead_data
from crm.graphql.leads.types import Lead, LeadDuplicate
from crm.graphql.privacy.types import ConsentInput, consent_entries
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads.services import capture_lead

CAPTURE_ERRORS = (
    ErrorCode.INVALID_ARGUMENT,
    ErrorCode.NOT_FOUND,
    ErrorCode.MALFORMED_ID,
    ErrorCode.REQUIRED_FIELD_MISSING,
    ErrorCode.IDEMPOTENCY_CONFLICT,
    ErrorCode.UNKNOWN_CURRENCY,
)


class LeadCapture(CrmMutation):
    class Meta:
        error_codes = CAPTURE_ERRORS

    class Arguments:
        lead = graphene.Argument(LeadInput, required=True)
        idempotency_key = graphene.String(
            description="The same key with the same content returns the lead already captured."
        )
        channel = graphene.String(default_value="API", description="e.g. FORM, API, IMPORT.")
        consents = graphene.List(
            graphene.NonNull(ConsentInput),
            description="What the person agreed to (or declined) with the form, per purpose.",
        )

    lead = graphene.Field(Lead)
    created = graphene.Boolean(description="False when the key's earlier lead is returned.")
    duplicates = graphene.List(
        graphene.NonNull(LeadDuplicate), description="Suspected duplicates; the lead is kept."
    )

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        lead: dict[str, Any],
        idempotency_key: str | None = None,
        channel: str = "API",
        consents: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        captured = capture_lead(
            access,
            lead_data(lead),
            idempotency_key=idempotency_key,
            channel=(channel or "API").strip().upper()[:20],
            consents=consent_entries(consents),
        )
        return {
            "lead": captured.lead,
            "created": captured.created,
            "duplicates": captured.lead.duplicates,
        }
