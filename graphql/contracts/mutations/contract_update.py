"""contractUpdate: the terms or payment terms of a contract in negotiation."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.contracts.mutations.base import (
    ON_CONTRACT,
    PaymentShareInput,
    contract_of,
    payload,
    shares_of,
)
from crm.graphql.contracts.types import Contract
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contracts import services


class ContractUpdate(CrmMutation):
    class Meta:
        description = (
            "Change the terms (legal, in negotiation) or the payment terms of a contract in "
            "negotiation."
        )
        error_codes = (*ON_CONTRACT, ErrorCode.INVALID_ARGUMENT)

    class Arguments:
        id = graphene.ID(required=True)
        terms = graphene.String()
        payment_terms = graphene.List(graphene.NonNull(PaymentShareInput))

    contract = graphene.Field(Contract)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        terms: str | None = None,
        payment_terms: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        contract = services.update_contract(
            access, contract_of(access, id), terms=terms, payment_terms=shares_of(payment_terms)
        )
        return payload(access, contract)
