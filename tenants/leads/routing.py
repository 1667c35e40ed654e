"""The BU's lead routing as data: tag rules and assignment rules, kept by its managers.

At capture, every active tag rule whose conditions the lead meets adds its tag; the first
active assignment rule (by position) whose conditions it meets gives it an owner: one user,
the next member of a team in turn (round robin), or the team member with the fewest open leads
(least loaded). Only active users holding a role in this business unit can be given a lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Count

from crm.platform.accounts.models import Membership, Team, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible
from crm.tenants.leads import conditions as condition_rules
from crm.tenants.leads.access import LEAD_ROUTING
from crm.tenants.leads.models import (
    OPEN_LEAD_STATUSES,
    AssignmentMethod,
    AssignmentRule,
    InvalidReason,
    InvalidRule,
    Lead,
    TagRule,
)

# The lead fields a condition may name (custom fields as `custom.<code>`); `source` and
# `campaign` are their codes.
CONDITION_FIELDS = (
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "country",
    "region",
    "industry",
    "product_line",
    "source",
    "campaign",
    "tags",
    "status",
    "channel",
    "message",
    "custom.*",
)
TAG_LENGTH = 40
NAME_LENGTH = 200


# -- who can be given a lead -------------------------------------------------------------------


def eligible_users(access: Access, user_ids: list[int] | None = None) -> list[int]:
    """Of `user_ids` (all when None), the active users holding a role in this BU, by id."""
    business_unit = access.business_unit
    holders = Membership.objects.filter(business_unit=business_unit).values("user_id")
    users = User.objects.filter(
        pk__in=holders, is_active=True, group_id=business_unit.group_id
    ).order_by("pk")
    if user_ids is not None:
        users = users.filter(pk__in=user_ids)
    return list(users.values_list("pk", flat=True))


def check_assignee(access: Access, user_id: int, *, field: str = "user") -> int:
    """`user_id` if the user may be given this BU's leads, else INVALID_ASSIGNEE."""
    if not eligible_users(access, [user_id]):
        raise CrmError(
            ErrorCode.INVALID_ASSIGNEE,
            field=field,
            object="lead",
            user=user_id,
            reason="not an active user with a role in this business unit",
        )
    return user_id


def team_of_business_unit(access: Access, team_id: int, *, field: str = "team") -> Team:
    team = Team.objects.filter(business_unit=access.business_unit, pk=team_id).first()
    if team is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="team", id=team_id)
    return team


def team_members(access: Access, team_id: int) -> list[int]:
    members = list(
        Team.members.through.objects.filter(team_id=team_id).values_list("user_id", flat=True)
    )
    return eligible_users(access, members)


# -- applying the rules at capture -------------------------------------------------------------


def apply_tags(facts: Mapping[str, Any], tags: list[str]) -> list[str]:
    """`tags` with those of every active tag rule `facts` match, in rule order, no repeats."""
    result = list(tags)
    for rule in TagRule.objects.filter(active=True).order_by("position", "id"):
        if rule.tag not in result and condition_rules.matches(facts, rule.conditions):
            result.append(rule.tag)
    return result


def invalid_by_rule(facts: Mapping[str, Any]) -> InvalidRule | None:
    """The first active invalid-lead rule `facts` match, if any."""
    for rule in InvalidRule.objects.filter(active=True).order_by("position", "id"):
        if condition_rules.matches(facts, rule.conditions):
            return rule
    return None


def choose_owner(access: Access, facts: Mapping[str, Any]) -> tuple[AssignmentRule, int] | None:
    """The first matching active rule that can give the lead to someone, and to whom.

    The rule's row is locked, so that concurrent captures take turns in a round robin and
    count each other's leads when the least loaded member is chosen.
    """
    for rule in AssignmentRule.objects.filter(active=True).order_by("position", "id"):
        if not condition_rules.matches(facts, rule.conditions):
            continue
        locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
        user_id = _pick(access, locked)
        if user_id is not None:
            return locked, user_id
    return None


def _pick(access: Access, rule: AssignmentRule) -> int | None:
    if rule.method == AssignmentMethod.USER:
        if rule.user_id is None:
            return None
        found = eligible_users(access, [rule.user_id])
        return found[0] if found else None
    if rule.team_id is None:
        return None
    members = team_members(access, rule.team_id)
    if not members:
        return None
    if rule.method == AssignmentMethod.ROUND_ROBIN:
        after = [pk for pk in members if rule.last_user_id is not None and pk > rule.last_user_id]
        chosen = after[0] if after else members[0]
        rule.last_user_id = chosen
        rule.save(update_fields=["last_user_id"])
        return chosen
    loads = dict(
        Lead.objects.filter(owner_id__in=members, status__in=OPEN_LEAD_STATUSES)
        .values_list("owner_id")
        .annotate(open=Count("id"))
        .values_list("owner_id", "open")
    )
    return min(members, key=lambda pk: (loads.get(pk, 0), pk))


# -- keeping the rules -------------------------------------------------------------------------


def _conditions(value: Any) -> list[dict[str, Any]]:
    problems = condition_rules.validate(value, CONDITION_FIELDS)
    if problems:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="conditions", reason="; ".join(problems))
    return list(value or [])


def _tag(value: str) -> str:
    tag = value.strip()
    if not tag or len(tag) > TAG_LENGTH:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="tag", reason=f"1 to {TAG_LENGTH} characters"
        )
    return tag


def _position(value: int) -> int:
    if value < 0:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="position", reason="must not be negative")
    return value


def tag_rule_save(access: Access, *, rule_id: int | None = None, **changes: Any) -> TagRule:
    """Create (no `rule_id`) or change a tag rule: tag, conditions, position, active."""
    with transaction.atomic():
        if rule_id is None:
            access.require(Action.CREATE, LEAD_ROUTING)
            rule = TagRule()
            if "tag" not in changes:
                raise CrmError(ErrorCode.INVALID_ARGUMENT, field="tag", reason="give a tag")
        else:
            access.require(Action.EDIT, LEAD_ROUTING)
            rule = _locked(access, TagRule, rule_id)
        if "tag" in changes:
            rule.tag = _tag(changes["tag"])
        if "conditions" in changes:
            rule.conditions = _conditions(changes["conditions"])
        if "position" in changes:
            rule.position = _position(changes["position"])
        if "active" in changes:
            rule.active = bool(changes["active"])
        rule.save()
    return rule


def invalid_rule_save(access: Access, *, rule_id: int | None = None, **changes: Any) -> InvalidRule:
    """Create (no `rule_id`) or change an invalid-lead rule: name, conditions, reason..."""
    with transaction.atomic():
        if rule_id is None:
            access.require(Action.CREATE, LEAD_ROUTING)
            rule = InvalidRule()
            for name in ("name", "reason"):
                if not changes.get(name):
                    raise CrmError(ErrorCode.INVALID_ARGUMENT, field=name, reason="required")
        else:
            access.require(Action.EDIT, LEAD_ROUTING)
            rule = _locked(access, InvalidRule, rule_id)
        if "name" in changes:
            name = str(changes["name"] or "").strip()
            if not name or len(name) > NAME_LENGTH:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="name",
                    reason=f"1 to {NAME_LENGTH} characters",
                )
            rule.name = name
        if "reason" in changes:
            if changes["reason"] not in InvalidReason.values:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="reason",
                    reason=f"one of {', '.join(InvalidReason.values)}",
                )
            rule.reason = changes["reason"]
        if "conditions" in changes:
            rule.conditions = _conditions(changes["conditions"])
            if not rule.conditions:
                # A rule without conditions would mark every captured lead invalid.
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="conditions", reason="give a condition"
                )
        elif rule_id is None:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="conditions", reason="required")
        if "position" in changes:
            rule.position = _position(changes["position"])
        if "active" in changes:
            rule.active = bool(changes["active"])
        rule.save()
    return rule


def assignment_rule_save(
    access: Access, *, rule_id: int | None = None, **changes: Any
) -> AssignmentRule:
    """Create or change an assignment rule; its user or team must belong to this BU."""
    with transaction.atomic():
        if rule_id is None:
            access.require(Action.CREATE, LEAD_ROUTING, list(_governed(changes)))
            rule = AssignmentRule()
            for name in ("name", "method"):
                if changes.get(name) is None:
                    raise CrmError(ErrorCode.INVALID_ARGUMENT, field=name, reason="required")
        else:
            rule = _locked(access, AssignmentRule, rule_id)
            access.require(Action.EDIT, rule, list(_governed(changes)))
        if "name" in changes:
            name = str(changes["name"]).strip()
            if not name or len(name) > NAME_LENGTH:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="name",
                    reason=f"1 to {NAME_LENGTH} characters",
                )
            rule.name = name
        if "conditions" in changes:
            rule.conditions = _conditions(changes["conditions"])
        if "position" in changes:
            rule.position = _position(changes["position"])
        if "active" in changes:
            rule.active = bool(changes["active"])
        if "method" in changes:
            rule.method = AssignmentMethod(changes["method"])
        if "user_id" in changes:
            user_id = changes["user_id"]
            rule.user_id = None if user_id is None else check_assignee(access, user_id)
        if "team_id" in changes:
            team_id = changes["team_id"]
            rule.team_id = None if team_id is None else team_of_business_unit(access, team_id).pk
            rule.last_user_id = None
        if rule.method == AssignmentMethod.USER:
            if rule.user_id is None:
                raise CrmError(ErrorCode.INVALID_ARGUMENT, field="user", reason="USER needs a user")
            rule.team_id = None
        else:
            if rule.team_id is None:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="team", reason=f"{rule.method} needs a team"
                )
            rule.user_id = None
        rule.save()
    return rule


def _governed(changes: Mapping[str, Any]) -> list[str]:
    names = {"user_id": "user", "team_id": "team"}
    return [names.get(key, key) for key in changes]


def rule_delete(
    access: Access, model: type[TagRule] | type[AssignmentRule] | type[InvalidRule], rule_id: int
) -> None:
    with transaction.atomic():
        rule = _locked(access, model, rule_id)
        access.require(Action.DELETE, rule if isinstance(rule, AssignmentRule) else LEAD_ROUTING)
        rule.delete()


def _locked(access: Access, model: Any, rule_id: int) -> Any:
    """The rule, row-locked, if the caller may view the BU's routing; else NOT_FOUND."""
    if model is AssignmentRule:
        return lock_visible(access, LEAD_ROUTING, AssignmentRule.objects.all(), rule_id)
    rule = visible_rules(access, model).select_for_update().filter(pk=rule_id).first()
    if rule is None:
        label = "tag rule" if model is TagRule else "invalid-lead rule"
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object=label, id=rule_id)
    return rule


def visible_rules(access: Access, model: Any) -> Any:
    """The rules of `model` the caller may view (tag and invalid-lead rules: all, or none)."""
    if model is AssignmentRule:
        return access.visible(LEAD_ROUTING, AssignmentRule.objects.all())
    if not access.can(Action.VIEW, LEAD_ROUTING):
        return model.objects.none()
    return model.objects.all()
