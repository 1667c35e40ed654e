"""Setting targets: create, change and remove them under the policy.

Every write checks its input before it changes anything and runs in one transaction; a refusal
is a typed `CrmError` and leaves everything as it was. What is checked:

- the subject: a user needs an active user of the group holding a role in this BU
  (INVALID_ASSIGNEE otherwise), a team one of this BU's teams (NOT_FOUND otherwise, also for a
  team of another BU), the BU itself neither;
- the period: its kind and its first day (`periods.period_of`);
- the value: won revenue is an amount in the group currency (another currency is refused: a
  target is not converted), not negative, below 10^15, with no more decimals than the currency
  has minor units (JPY: whole yen); won deals a whole number from 0 to 1,000,000;
- duplicates: one target per subject, period and metric (ALREADY_EXISTS).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from crm.platform.accounts.models import Team, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import MAX_AMOUNT, minor_unit_exponent
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible
from crm.tenants.opportunities.services import bu_user
from crm.tenants.performance.access import TARGET
from crm.tenants.performance.models import Target, TargetMetric, TargetSubject
from crm.tenants.performance.periods import period_of

OBJECT = "target"
MAX_DEALS = 1_000_000
UNSET: Any = object()


def targets(access: Access) -> QuerySet[Target]:
    """The targets the caller may view, with what the per-record policy checks need."""
    return (
        access.visible(TARGET, Target.objects.all())
        .select_related("user", "set_by")
        .prefetch_related("team__members")
    )


def get_target(access: Access, pk: int, *, field: str = "id") -> Target:
    """A target the caller may view, or NOT_FOUND (also for targets of other BUs)."""
    found = targets(access).filter(pk=pk).first()
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=OBJECT, id=pk)
    return found


def _choice(value: str, choices: type[TargetSubject] | type[TargetMetric], field: str) -> str:
    chosen = str(getattr(value, "value", value) or "").strip().upper()
    if chosen not in choices.values:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason=f"one of {', '.join(choices.values)}"
        )
    return chosen


def business_unit_team(access: Access, team_id: int, *, field: str = "team") -> Team:
    """A team of the caller's BU (with its members), or NOT_FOUND."""
    team = (
        Team.objects.filter(business_unit=access.business_unit, pk=team_id)
        .prefetch_related("members")
        .first()
    )
    if team is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="team", id=team_id)
    return team


def _subject(
    access: Access, subject: str, user_id: int | None, team_id: int | None
) -> tuple[User | None, Team | None]:
    if subject == TargetSubject.USER:
        if team_id is not None:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="team", reason="not for a user")
        if user_id is None:
            raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="user", object=OBJECT)
        return bu_user(access, user_id, field="user", what=OBJECT), None
    if subject == TargetSubject.TEAM:
        if user_id is not None:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="user", reason="not for a team")
        if team_id is None:
            raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="team", object=OBJECT)
        return None, business_unit_team(access, team_id)
    for name, value in (("user", user_id), ("team", team_id)):
        if value is not None:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field=name, reason="not for the business unit"
            )
    return None, None


def revenue_amount(access: Access, amount: Any, currency: str | None) -> Decimal:
    """A won-revenue target in the group currency, checked."""
    group_currency = access.business_unit.group.currency
    if currency is not None and currency.strip().upper() != group_currency:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="currency",
            reason=f"targets are set in the group currency, {group_currency}",
        )
    if amount is None:
        raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="amount", object=OBJECT)
    if isinstance(amount, (float, bool)):
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="amount", reason="a decimal number")
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="amount", reason="a decimal number"
        ) from None
    places = minor_unit_exponent(group_currency)
    if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="amount", reason="a number from 0 below 10^15"
        )
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="amount",
            reason=f"at most {places} decimal places in {group_currency}",
        )
    return value.quantize(Decimal(1).scaleb(-places))


def deal_count(count: Any) -> int:
    if count is None:
        raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="dealCount", object=OBJECT)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_DEALS:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="dealCount", reason=f"a whole number 0–{MAX_DEALS}"
        )
    return int(count)


def _note(note: str | None) -> str:
    text = (note or "").strip()
    if len(text) > 500:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="note", reason="at most 500 characters")
    return text


def _duplicate(target: Target) -> CrmError:
    return CrmError(
        ErrorCode.ALREADY_EXISTS,
        field="periodStart",
        object=OBJECT,
        value=f"{target.metric} {target.period} {target.period_start}",
    )


def target_create(
    access: Access,
    *,
    subject: str,
    period: str,
    period_start: datetime.date,
    metric: str,
    user_id: int | None = None,
    team_id: int | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
    count: int | None = None,
    note: str = "",
) -> Target:
    """A new target of one subject for one period and metric."""
    chosen_subject = _choice(subject, TargetSubject, "subject")
    chosen_metric = _choice(metric, TargetMetric, "metric")
    value_field = "amount" if chosen_metric == TargetMetric.WON_REVENUE else "deal_count"
    given = ["subject", "period", "period_start", "metric", value_field]
    given += [name for name, value in (("user", user_id), ("team", team_id)) if value]
    if note:
        given.append("note")
    access.require(Action.CREATE, TARGET, given)
    user, team = _subject(access, chosen_subject, user_id, team_id)
    chosen_period = period_of(period, period_start)
    target = Target(
        subject=chosen_subject,
        user=user,
        team=team,
        period=chosen_period.kind,
        period_start=chosen_period.start,
        metric=chosen_metric,
        note=_note(note),
        set_by_id=access.principal.user_id,
    )
    if chosen_metric == TargetMetric.WON_REVENUE:
        if count is not None:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="dealCount", reason="not for revenue")
        target.amount = revenue_amount(access, amount, currency)
        target.currency = access.business_unit.group.currency
    else:
        if amount is not None or currency is not None:
            field = "amount" if amount is not None else "currency"
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason="not for won deals")
        target.deal_count = deal_count(count)
    same = Target.objects.filter(
        subject=target.subject,
        user=user,
        team=team,
        period=target.period,
        period_start=target.period_start,
        metric=target.metric,
    )
    try:
        with transaction.atomic():
            if same.exists():
                raise _duplicate(target)
            target.save()
    except IntegrityError:  # set at the same moment by someone else
        raise _duplicate(target) from None
    return target


def target_update(
    access: Access,
    target_id: int,
    *,
    amount: Any = UNSET,
    currency: str | None = None,
    count: Any = UNSET,
    note: str | None = None,
) -> Target:
    """Change a target's value or note; its subject, period and metric stay (remove it and set
    another to change those)."""
    with transaction.atomic():
        target = lock_visible(access, TARGET, Target.objects.all(), target_id)
        target = Target.objects.prefetch_related("team__members").get(pk=target.pk)
        revenue = target.metric == TargetMetric.WON_REVENUE
        changed = [
            name
            for name, given in (
                ("amount", amount is not UNSET or currency is not None),
                ("deal_count", count is not UNSET),
                ("note", note is not None),
            )
            if given
        ]
        access.require(Action.EDIT, target, changed)
        if "amount" in changed:
            if not revenue:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="amount", reason="not for won deals"
                )
            target.amount = revenue_amount(
                access, target.amount if amount is UNSET else amount, currency
            )
        if "deal_count" in changed:
            if revenue:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="dealCount", reason="not for revenue"
                )
            target.deal_count = deal_count(count)
        if note is not None:
            target.note = _note(note)
        target.set_by_id = access.principal.user_id
        target.updated_at = timezone.now()
        target.save()
    return target


def target_delete(access: Access, target_id: int) -> None:
    with transaction.atomic():
        target = lock_visible(access, TARGET, Target.objects.all(), target_id)
        target = Target.objects.prefetch_related("team__members").get(pk=target.pk)
        access.require(Action.DELETE, target)
        target.delete()
