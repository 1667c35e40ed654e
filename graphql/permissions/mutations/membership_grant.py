"""membershipGrant: give a user of the group a role in one BU, or at group level."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.permissions.types import Membership
from crm.platform.accounts.services import membership_grant
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class MembershipGrant(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND,)

    class Arguments:
        username = graphene.String(required=True)
        role = graphene.String(required=True)
        business_unit = graphene.String(description="BU code; omit for a group-level role.")

    membership = graphene.Field(Membership)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        username: str,
        role: str,
        business_unit: str | None = None,
    ) -> dict[str, Any]:
        membership = membership_grant(
            access=access, username=username, role=role, business_unit=business_unit
        )
        return {"membership": membership}
