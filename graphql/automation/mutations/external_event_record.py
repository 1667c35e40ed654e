"""externalEventRecord: an integrator reports an event about a record (an e-mail opened, a link
clicked); recorded once per external id, then the BU's EXTERNAL rules run for it."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.automation.types import ExternalEvent, ExternalEventKind, RecordTypeEnum
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.automation import services
from crm.tenants.automation.actions import GRAPHQL_TYPES
from crm.tenants.automation.models import RecordType

RECORD_TYPES = (RecordType.LEAD, RecordType.ACCOUNT, RecordType.CONTACT, RecordType.OPPORTUNITY)


class ExternalEventRecord(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.IDEMPOTENCY_CONFLICT,
        )

    class Arguments:
        kind = graphene.Argument(ExternalEventKind, required=True)
        record_type = graphene.Argument(RecordTypeEnum, required=True)
        record_id = graphene.ID(required=True, description="The record's global id.")
        external_id = graphene.String(
            required=True, description="Your id of the event: sending it again records nothing."
        )
        occurred_at = graphene.DateTime()
        details = graphene.JSONString(description='e.g. {"url": ...}; no personal data.')

    event = graphene.Field(ExternalEvent)
    created = graphene.Boolean(description="False when this external id was recorded before.")

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        record_type = RecordType(
            str(getattr(arguments["record_type"], "value", arguments["record_type"]))
        )
        if record_type not in RECORD_TYPES:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="recordType",
                reason="one of LEAD, ACCOUNT, CONTACT, OPPORTUNITY",
            )
        record_id = pk_of(GRAPHQL_TYPES[record_type], arguments["record_id"], field="recordId")
        event, created = services.external_event_record(
            access,
            kind=str(getattr(arguments["kind"], "value", arguments["kind"])),
            record_type=record_type.value,
            record_id=record_id,
            external_id=arguments["external_id"],
            occurred_at=arguments.get("occurred_at"),
            details=arguments.get("details"),
        )
        return {"event": event, "created": created}
