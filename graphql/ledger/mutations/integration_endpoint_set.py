"""integrationEndpointSet: create or change a receiver of the business unit's events."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.integration import IntegrationEndpoint, IntegrationEventKind, kind_values
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import integration


class IntegrationEndpointSet(CrmMutation):
    class Meta:
        description = (
            "Create the endpoint `code` (e.g. the ERP) or change its URL, the kinds of events it "
            "receives and whether it is active. The URL must be https to a public host; events "
            "recorded from now on are sent to it, signed with the business unit's webhook "
            "secret (automationWebhookSecret)."
        )
        error_codes = (ErrorCode.INVALID_ARGUMENT,)

    class Arguments:
        code = graphene.String(required=True, description="A slug, e.g. sap.")
        url = graphene.String(required=True)
        kinds = graphene.List(graphene.NonNull(IntegrationEventKind), required=True)
        active = graphene.Boolean(default_value=True)

    endpoint = graphene.Field(IntegrationEndpoint)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        code: str,
        url: str,
        kinds: list[Any],
        active: bool = True,
    ) -> dict[str, Any]:
        endpoint = integration.endpoint_set(
            access, code=code, url=url, kinds=kind_values(kinds), active=active
        )
        return {"endpoint": endpoint}
