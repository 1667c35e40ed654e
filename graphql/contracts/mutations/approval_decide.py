"""approvalDecide: approve or reject one step of a contract's approval."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.contracts.types import Approval
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contracts import approvals


class ApprovalDecide(CrmMutation):
    class Meta:
        description = (
            "Approve or reject a pending step: as its approver, a holder of its role, or their "
            "delegate (the decision then names whom you stood in for). A rejection sends the "
            "contract back to negotiation; the last approval approves it."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.ALREADY_DECIDED,
            ErrorCode.NOT_AN_APPROVER,
        )

    class Arguments:
        id = graphene.ID(required=True, description="The approval's global id.")
        approve = graphene.Boolean(required=True)
        comment = graphene.String()

    approval = graphene.Field(Approval)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        approve: bool,
        comment: str | None = None,
    ) -> dict[str, Any]:
        task = approvals.get_task(access, pk_of("Approval", id))
        decided = approvals.decide(access, task, approve=approve, comment=comment or "")
        return {"approval": approvals.get_task(access, decided.pk)}
