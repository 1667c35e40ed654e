"""Deals and the BU's pipelines under the policy.

A deal's stage for the policy is its stage code. The codes the policy knows are those of the
group's default template (`DEFAULT_STAGES`); a rule for one of them applies in every BU pipeline
that keeps that code, and rules without a stage apply to a BU's extra stages too. The account
team reaches a deal as its owner does: a rule with the own scope applies to the deal's owner
and to every member of its team, and the team scope to their managers.
"""

from __future__ import annotations

from typing import Any

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.opportunities import models

DEFAULT_STAGES = (
    "qualification",
    "needs_analysis",
    "solution",
    "quote",
    "negotiation",
    "won",
    "lost",
)


def team_user_ids(record: Any) -> frozenset[int]:
    """The account team of a loaded deal (prefetched `team` in lists)."""
    opportunity: models.Opportunity = record
    if opportunity.pk is None:
        return frozenset()
    return frozenset(member.user_id for member in opportunity.team.all())


OPPORTUNITY = register(
    ObjectType(
        name="opportunity",
        model=models.Opportunity,
        graphql_type="Opportunity",
        fields=tuple(
            GovernedField(name)
            for name in (
                "name",
                "account",
                "primary_contact",
                "pipeline",
                "stage",
                "status",
                "owner",
                "deal_class",
                "grade",
                "amount",
                "amount_bu",
                "amount_group",
                "expected_close",
                "closed_on",
                "close_reason",
                "close_note",
                "score",
                "probability",
                "scorecard",
                "products",
                "team",
                "events",
                "custom_fields",
            )
        ),
        stages=DEFAULT_STAGES,
        stage_field="stage_code",
        group_field=None,
        owner_field="owner",
        members_lookup="team__user",
        members_of=team_user_ids,
    )
)

PIPELINE = register(
    ObjectType(
        name="pipeline",
        model=models.Pipeline,
        graphql_type="Pipeline",
        fields=tuple(GovernedField(name) for name in ("code", "name", "stages", "is_default")),
        group_field=None,
    )
)
