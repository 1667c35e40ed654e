"""contractSign: sign an approved contract; its payment plan is made."""

from __future__ import annotations

import datetime
from typing import Any

import graphene

from crm.graphql.contracts.mutations.base import ON_CONTRACT, contract_of, payload
from crm.graphql.contracts.types import Contract
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contracts import services


class ContractSign(CrmMutation):
    class Meta:
        description = (
            "Sign an approved contract (CONTRACT_NOT_APPROVED otherwise). The payment plan is "
            "made from its payment terms, due from `signedOn` (default: today), and the "
            "automation rules for a signed contract run (finance and delivery are told)."
        )
        error_codes = (*ON_CONTRACT, ErrorCode.CONTRACT_NOT_APPROVED, ErrorCode.INVALID_ARGUMENT)

    class Arguments:
        id = graphene.ID(required=True)
        signed_on = graphene.Date()

    contract = graphene.Field(Contract)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        signed_on: datetime.date | None = None,
    ) -> dict[str, Any]:
        contract = services.sign(access, contract_of(access, id), signed_on=signed_on)
        return payload(access, contract)
