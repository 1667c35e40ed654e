"""leadUpdate: change the fields of an open lead that the caller may write."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.leads.inputs import LeadInput, lead_data
from crm.graphql.leads.mutations.lead_capture import CAPTURE_ERRORS
from crm.graphql.leads.types import Lead
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads.services import lead_update


class LeadUpdate(CrmMutation):
    class Meta:
        error_codes = (*CAPTURE_ERRORS, ErrorCode.RECORD_CLOSED)

    class Arguments:
        id = graphene.ID(required=True)
        lead = graphene.Argument(LeadInput, required=True)

    lead = graphene.Field(Lead)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, lead: dict[str, Any]
    ) -> dict[str, Any]:
        return {"lead": lead_update(access, pk_of("Lead", id), lead_data(lead))}
