"""integrationEventRedeliver: send an event to the ERP and finance again."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.integration import IntegrationEvent
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import integration


class IntegrationEventRedeliver(CrmMutation):
    class Meta:
        description = (
            "Send an event again exactly as it was (same event id, idempotency key, body and "
            "delivery ids, so the receiver can tell it has it), to every active endpoint "
            "subscribed to its kind or to the one named, with a fresh round of attempts: "
            "after a delivery FAILED, or when a receiver lost what it got."
        )
        error_codes = (ErrorCode.MALFORMED_ID, ErrorCode.NOT_FOUND, ErrorCode.INVALID_ARGUMENT)

    class Arguments:
        event = graphene.ID(required=True, description="IntegrationEvent:<pk>")
        endpoint = graphene.String(description="Only to this endpoint (its code).")

    event = graphene.Field(IntegrationEvent)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        event: str,
        endpoint: str | None = None,
    ) -> dict[str, Any]:
        found = integration.get_event(
            access, pk_of("IntegrationEvent", event, field="event"), field="event"
        )
        integration.redeliver(access, found, endpoint=endpoint)
        return {"event": integration.get_event(access, found.pk)}
