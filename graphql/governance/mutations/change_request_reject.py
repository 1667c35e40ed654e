"""changeRequestReject: decline a request, saying why."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.governance.types import ChangeRequest
from crm.masterdata.governance.services import reject
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class ChangeRequestReject(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_DECIDED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        note = graphene.String(required=True)

    change_request = graphene.Field(ChangeRequest)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, note: str
    ) -> dict[str, Any]:
        request = reject(access=access, request_id=pk_of("ChangeRequest", id), note=note)
        return {"change_request": request}
