"""membershipRevoke: take a role away; effective from the user's next request."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.accounts.services import membership_revoke
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class MembershipRevoke(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID)

    class Arguments:
        id = graphene.ID(required=True)

    deleted_id = graphene.ID()

    @classmethod
    def perform(cls, info: graphene.ResolveInfo, access: Access, *, id: str) -> dict[str, Any]:
        membership_revoke(access=access, membership_id=pk_of("Membership", id))
        return {"deleted_id": id}
