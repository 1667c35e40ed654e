"""targetCreate: what a user, a team or the business unit should win in a period."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.performance.types import PeriodKind, Target, TargetMetric, TargetSubject
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.performance import targets


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


class TargetCreate(CrmMutation):
    class Meta:
        description = (
            "Set a target of a user (holding a role in this business unit), one of its teams "
            "or the business unit itself for a calendar month, quarter or year (its first day) "
            "and a metric: won revenue, an amount in the group currency, or won deals. One "
            "target per subject, period and metric (ALREADY_EXISTS)."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.INVALID_ASSIGNEE,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.ALREADY_EXISTS,
        )

    class Arguments:
        subject = graphene.Argument(TargetSubject, required=True)
        user = graphene.ID(description="User:<pk>, for a user's target.")
        team = graphene.ID(description="Team:<pk>, for a team's target.")
        period = graphene.Argument(PeriodKind, required=True)
        period_start = graphene.Date(required=True, description="The period's first day.")
        metric = graphene.Argument(TargetMetric, required=True)
        amount = graphene.Decimal(description="Won revenue, in the group currency.")
        currency = graphene.String(description="If given, the group currency.")
        deal_count = graphene.Int(description="Won deals.")
        note = graphene.String()

    target = graphene.Field(Target)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        subject: Any,
        period: Any,
        period_start: datetime.date,
        metric: Any,
        user: str | None = None,
        team: str | None = None,
        amount: Decimal | None = None,
        currency: str | None = None,
        deal_count: int | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        created = targets.target_create(
            access,
            subject=_value(subject),
            user_id=pk_of("User", user, field="user") if user else None,
            team_id=pk_of("Team", team, field="team") if team else None,
            period=_value(period),
            period_start=period_start,
            metric=_value(metric),
            amount=amount,
            currency=currency,
            count=deal_count,
            note=note or "",
        )
        return {"target": targets.get_target(access, created.pk)}
