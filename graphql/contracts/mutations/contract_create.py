"""contractCreate: a contract in negotiation for an accepted quote."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.contracts.mutations.base import PaymentShareInput, payload, shares_of
from crm.graphql.contracts.types import Contract
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contracts import services
from crm.tenants.quotes import services as quotes


class ContractCreate(CrmMutation):
    class Meta:
        description = (
            "Make a contract (in negotiation) from an accepted quote, one per quote, with its "
            "amounts; payment terms default to 100 % due 30 days after signing."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.QUOTE_NOT_ACCEPTED,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.INVALID_ARGUMENT,
        )

    class Arguments:
        quote = graphene.ID(required=True, description="The accepted quote's global id.")
        terms = graphene.String()
        payment_terms = graphene.List(graphene.NonNull(PaymentShareInput))

    contract = graphene.Field(Contract)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        quote: str,
        terms: str | None = None,
        payment_terms: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        accepted = quotes.get_quote(access, pk_of("Quote", quote, field="quote"), field="quote")
        contract = services.create_contract(
            access, accepted, terms=terms or "", payment_terms=shares_of(payment_terms)
        )
        return payload(access, contract)
