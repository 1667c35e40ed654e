"""consentRecord: a contact's or lead's consent for a purpose given or withdrawn (appended to its
history; the consent in force is the latest by the time the person gave it)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.privacy.consents import subject_of
from crm.graphql.privacy.types import ConsentEvent, ConsentPurpose, ConsentSource
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.personaldata.consents import record_consent


class ConsentRecordMutation(CrmMutation):
    class Meta:
        name = "ConsentRecord"
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID, ErrorCode.INVALID_ARGUMENT)

    class Arguments:
        subject = graphene.ID(required=True, description="A Contact or Lead id.")
        purpose = graphene.Argument(ConsentPurpose, required=True)
        granted = graphene.Boolean(required=True)
        source = graphene.Argument(
            ConsentSource, description="Default: SALES_REP, or INTEGRATION for an API key."
        )
        at = graphene.DateTime(description="When the person gave or withdrew it; default: now.")
        evidence = graphene.String(description="What proves it (at most 500 characters).")

    consent = graphene.Field(ConsentEvent)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        source = arguments.get("source")
        event = record_consent(
            access,
            subject=subject_of(arguments["subject"]),
            purpose=arguments["purpose"],
            granted=arguments["granted"],
            source=getattr(source, "value", source),
            at=arguments.get("at"),
            evidence=arguments.get("evidence") or "",
        )
        return {"consent": event}
