"""dataSubjectRequestStart: the caller takes a received request on (status IN_PROGRESS)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.privacy.types import DataSubjectRequest
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.regions.privacy.requests import request_start


class DataSubjectRequestStart(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID, ErrorCode.ALREADY_DECIDED)

    class Arguments:
        id = graphene.ID(required=True)

    request = graphene.Field(DataSubjectRequest)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        pk = pk_of("DataSubjectRequest", arguments["id"])
        return {"request": request_start(access, request_id=pk)}
