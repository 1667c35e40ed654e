"""Contracts, approvals and approval flows under the policy.

A contract's stage is its status (negotiation, in_approval, approved, signed, cancelled); its
owner is the deal's owner and the deal's account team reaches it as the owner does. Legal
works on contracts from negotiation on, finance from signed on (the payment plan). An
approval (one step of a contract's approval, for its approver) is reachable by the BU's people
the policy lets approve; who may decide one is the flow's business (its approver, their
delegates), checked by `crm.tenants.contracts.approvals`.

Personal fields (reads are audited): a contract's terms (they name signatories and contact
persons), its trail (`events`, with comments) and an approval's comment.
"""

from __future__ import annotations

from typing import Any

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.contracts import models


def deal_team_user_ids(record: Any) -> frozenset[int]:
    """The account team of the contract's deal (prefetched `opportunity__team` in lists)."""
    if record.pk is None or record.opportunity_id is None:
        return frozenset()
    return frozenset(member.user_id for member in record.opportunity.team.all())


CONTRACT_FIELDS = (
    "number",
    "status",
    "quote",
    "opportunity",
    "account",
    "owner",
    "currency",
    "net_total",
    "tax_total",
    "total",
    "discount",
    "amount_group",
    "terms",
    "payment_terms",
    "payment_plan",
    "approvals",
    "events",
    "signed_on",
    "signed_by",
)

CONTRACT_PERSONAL = frozenset({"terms", "events"})

CONTRACT = register(
    ObjectType(
        name="contract",
        model=models.Contract,
        graphql_type="Contract",
        fields=tuple(
            GovernedField(name, personal=name in CONTRACT_PERSONAL) for name in CONTRACT_FIELDS
        ),
        stages=models.CONTRACT_STAGES,
        stage_field="status",
        group_field=None,
        owner_field="owner",
        members_lookup="opportunity__team__user",
        members_of=deal_team_user_ids,
    )
)

APPROVAL = register(
    ObjectType(
        name="approval",
        model=models.ApprovalTask,
        graphql_type="Approval",
        fields=(
            *(
                GovernedField(name)
                for name in (
                    "contract",
                    "step",
                    "approver",
                    "status",
                    "decided_by",
                    "on_behalf_of",
                    "decided_at",
                )
            ),
            GovernedField("comment", personal=True),
            *(GovernedField(name) for name in ("amount_group", "discount")),
        ),
        group_field=None,
    )
)

APPROVAL_FLOW = register(
    ObjectType(
        name="approval_flow",
        model=models.ApprovalFlow,
        graphql_type="ApprovalFlow",
        fields=tuple(
            GovernedField(name)
            for name in ("code", "name", "mode", "active", "position", "thresholds", "steps")
        ),
        group_field=None,
    )
)
