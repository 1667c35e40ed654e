"""contractCancel: cancel a contract that is not signed yet, with the reason on its trail."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.contracts.mutations.base import ON_CONTRACT, contract_of, payload
from crm.graphql.contracts.types import Contract
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contracts import services


class ContractCancel(CrmMutation):
    class Meta:
        description = (
            "Cancel a contract before it is signed; a pending approval is withdrawn and the "
            "trail keeps who cancelled it and why. A signed or cancelled contract is "
            "RECORD_CLOSED (a signed one is undone by its orders, invoices and credit notes)."
        )
        error_codes = (*ON_CONTRACT, ErrorCode.REQUIRED_FIELD_MISSING)

    class Arguments:
        id = graphene.ID(required=True)
        comment = graphene.String(required=True, description="Why, for the trail.")

    contract = graphene.Field(Contract)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, id: str, comment: str
    ) -> dict[str, Any]:
        contract = services.cancel(access, contract_of(access, id), comment=comment)
        return payload(access, contract)
