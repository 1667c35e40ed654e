"""apiKeyRevoke: the key stops working at once; the record stays for the audit trail."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.permissions.types import ApiKey
from crm.platform.accounts.services import api_key_revoke
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class ApiKeyRevoke(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID)

    class Arguments:
        id = graphene.ID(required=True)

    api_key = graphene.Field(ApiKey)

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        return {"api_key": api_key_revoke(access=access, key_id=pk_of("ApiKey", id))}
