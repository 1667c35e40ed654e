"""opportunityTeamAdd / opportunityTeamRemove: the deal's account team ("iron triangle")."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.opportunities.mutations.base import DealMutation, deal_of
from crm.graphql.opportunities.types import Opportunity, TeamRole
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services


def _role(role: Any) -> str:
    return str(getattr(role, "value", role) or "")


class OpportunityTeamAdd(DealMutation):
    class Meta:
        description = (
            "Put a user on the deal's account team in a role (a manager or the deal's owner). "
            "The user must be active and hold a role in this business unit; team members "
            "reach the deal as its owner does, within their own role's rules."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.INVALID_ASSIGNEE,
            ErrorCode.ALREADY_EXISTS,
        )

    class Arguments:
        id = graphene.ID(required=True)
        user = graphene.ID(required=True, description="User:<pk>")
        role = TeamRole(required=True)

    opportunity = graphene.Field(Opportunity)

    @classmethod
    def perform(
        cls, _info: graphene.ResolveInfo, access: Access, id: str, user: str, role: Any
    ) -> dict[str, Any]:
        deal = deal_of(access, id)
        services.team_add(access, deal, pk_of("User", user, field="user"), _role(role))
        return {"opportunity": services.get_deal(access, deal.pk)}


class OpportunityTeamRemove(DealMutation):
    class Meta:
        description = "Take a user off the deal's account team (in `role`, or in every role)."
        error_codes = (ErrorCode.MALFORMED_ID, ErrorCode.NOT_FOUND)

    class Arguments:
        id = graphene.ID(required=True)
        user = graphene.ID(required=True, description="User:<pk>")
        role = TeamRole()

    opportunity = graphene.Field(
        Opportunity, description="Null if you no longer see the deal once off its team."
    )

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        user: str,
        role: Any = None,
    ) -> dict[str, Any]:
        deal = deal_of(access, id)
        services.team_remove(access, deal, pk_of("User", user, field="user"), _role(role))
        found = services.deals(access).filter(pk=deal.pk).first()
        return {"opportunity": found}
