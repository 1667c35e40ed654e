"""customerRequestNew: a business unit asks HQ for a new golden customer.

The proposal is validated as customerCreate validates it; companies that look alike refuse it
with DUPLICATE_SUSPECTED and the candidates unless `confirmDuplicate`. A steward decides it with
changeRequestApprove (which creates the customer) or changeRequestReject.
"""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.customers.types import DuplicateCandidate
from crm.graphql.governance.inputs import NewCustomerInput, proposal
from crm.graphql.governance.types import ChangeRequest
from crm.masterdata.governance.services import file_new_customer_request
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class CustomerRequestNew(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.INVALID_TAX_ID,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.DUPLICATE_SUSPECTED,
        )

    class Arguments:
        customer = graphene.Argument(NewCustomerInput, required=True)
        why = graphene.String(required=True, description="Why the customer is needed.")
        confirm_duplicate = graphene.Boolean(
            default_value=False,
            description="File although similar customers exist (DUPLICATE_SUSPECTED).",
        )

    change_request = graphene.Field(ChangeRequest)
    duplicates = graphene.List(
        graphene.NonNull(DuplicateCandidate),
        description="With DUPLICATE_SUSPECTED: the customers that look alike, with scores.",
    )

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        customer: dict[str, Any],
        why: str,
        confirm_duplicate: bool = False,
    ) -> dict[str, Any]:
        request = file_new_customer_request(
            access,
            proposed=proposal(customer),
            reason=why,
            confirm_duplicate=bool(confirm_duplicate),
        )
        return {"change_request": request, "duplicates": []}
