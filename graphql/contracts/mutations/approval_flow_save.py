"""approvalFlowSave: create or replace an approval flow of the BU (thresholds, mode, steps)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.contracts.types import ApprovalFlow, FlowMode
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contracts import approvals
from crm.tenants.contracts.models import ApprovalFlow as FlowModel


class ApprovalStepInput(graphene.InputObjectType):
    name = graphene.String()
    role = graphene.String(description="A role code: any holder decides. Or `user`.")
    user = graphene.ID(description="User:<pk>. Or `role`.")
    min_amount_group = graphene.Decimal(description="The step applies from this amount.")
    min_discount = graphene.Decimal(description="The step applies from this discount, %.")


class ApprovalFlowSave(CrmMutation):
    class Meta:
        description = (
            "Create the flow `code` or replace its settings and steps. A contract takes the "
            "first active flow (by position) whose thresholds it reaches (its total in the "
            "group currency, its discount); SEQUENTIAL steps are decided one after another, "
            "PARALLEL ones all at once."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ASSIGNEE,
        )

    class Arguments:
        code = graphene.String(required=True)
        name = graphene.String()
        mode = FlowMode(required=True)
        steps = graphene.List(graphene.NonNull(ApprovalStepInput), required=True)
        active = graphene.Boolean()
        position = graphene.Int()
        min_amount_group = graphene.Decimal()
        min_discount = graphene.Decimal()

    flow = graphene.Field(ApprovalFlow)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        code: str,
        mode: Any,
        steps: list[dict[str, Any]],
        name: str | None = None,
        active: bool | None = None,
        position: int | None = None,
        min_amount_group: Decimal | None = None,
        min_discount: Decimal | None = None,
    ) -> dict[str, Any]:
        flow = approvals.flow_save(
            access,
            code=code,
            name=name or "",
            mode=str(getattr(mode, "value", mode)),
            steps=[
                approvals.StepInput(
                    name=step.get("name") or "",
                    approver_role=(step.get("role") or "").strip(),
                    approver_user_id=pk_of("User", step["user"], field=f"steps.{index}.user")
                    if step.get("user")
                    else None,
                    min_amount_group=step.get("min_amount_group"),
                    min_discount=step.get("min_discount"),
                )
                for index, step in enumerate(steps)
            ],
            active=True if active is None else active,
            position=position or 0,
            min_amount_group=min_amount_group,
            min_discount=min_discount,
        )
        return {"flow": FlowModel.objects.prefetch_related("steps").get(pk=flow.pk)}
