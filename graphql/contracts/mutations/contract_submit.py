"""contractSubmit: send a contract in negotiation through the BU's approval flows."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.contracts.mutations.base import ON_CONTRACT, contract_of, payload
from crm.graphql.contracts.types import Contract
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contracts import services


class ContractSubmit(CrmMutation):
    class Meta:
        description = (
            "Submit a contract in negotiation for approval. Its total is converted to the group "
            "currency at today's spot rate; with its discount, that picks the first matching "
            "approval flow of the BU. Without one, the contract is approved at once."
        )
        error_codes = (*ON_CONTRACT, ErrorCode.INVALID_STAGE_CHANGE, ErrorCode.RATE_NOT_FOUND)

    class Arguments:
        id = graphene.ID(required=True)
        comment = graphene.String()

    contract = graphene.Field(Contract)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, id: str, comment: str | None = None
    ) -> dict[str, Any]:
        contract = services.submit(access, contract_of(access, id), comment or "")
        return payload(access, contract)
