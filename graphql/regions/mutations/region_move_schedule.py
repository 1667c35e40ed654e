"""regionMoveSchedule: plan moving a business unit of the group to another region's cell.

Sent to the cell that holds the BU now (any of its BUs in X-Business-Unit); the cell's worker
starts the move at `at` (default: now). Another cell answers WRONG_REGION naming the right one.
"""

from __future__ import annotations

import datetime
from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.regions.types import RegionMove
from crm.platform.accounts.models import User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.regions.moves.access import REGION_MOVE
from crm.regions.moves.runner import schedule_move
from crm.tenants.models import BusinessUnit


class RegionMoveSchedule(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.WRONG_REGION,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
        )

    class Arguments:
        business_unit = graphene.String(required=True, description="The BU's handle.")
        to_region = graphene.String(required=True, description="The target region's code.")
        at = graphene.DateTime(description="Not before this time; default now.")

    move = graphene.Field(RegionMove)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        business_unit: str,
        to_region: str,
        at: datetime.datetime | None = None,
    ) -> dict[str, Any]:
        access.require(Action.CREATE, REGION_MOVE)
        group_code, _dot, code = business_unit.partition(".")
        found: BusinessUnit | None = (
            BusinessUnit.objects.select_related("group", "region")
            .filter(group_id=access.business_unit.group_id, group__code=group_code, code=code)
            .first()
        )
        if found is None:
            raise CrmError(
                ErrorCode.NOT_FOUND, field="businessUnit", object="business unit", id=business_unit
            )
        user_id = access.principal.user_id
        actor = User.objects.filter(pk=user_id).first() if user_id is not None else None
        move = schedule_move(business_unit=found, to_region=to_region, at=at, actor=actor)
        return {"move": move}
