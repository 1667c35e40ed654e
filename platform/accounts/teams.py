"""Teams inside a business unit: a hierarchy whose managers reach their teams' records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from crm.platform.accounts.models import Team, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.access import TEAM
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible

NAME_LENGTH = 100


def _member(group_id: int, username: str, field: str) -> User:
    user = User.objects.filter(group_id=group_id, username=username).first()
    if user is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="user", id=username)
    return user


def _parent(access: Access, team: Team | None, parent_id: int) -> Team:
    # A hierarchy never crosses business units: the parent is in the team's own BU.
    business_unit_id = team.business_unit_id if team is not None else access.business_unit.pk
    parent = Team.objects.filter(
        group_id=access.business_unit.group_id, business_unit_id=business_unit_id, pk=parent_id
    ).first()
    if parent is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="parent", object="team", id=parent_id)
    ancestor: Team | None = parent
    while ancestor is not None:  # a team may not end up below itself
        if team is not None and ancestor.pk == team.pk:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="parent", reason="a cycle of teams")
        ancestor = ancestor.parent
    return parent


def team_create(*, access: Access, name: str, parent_id: int | None, manager: str | None) -> Team:
    """A team in the request's business unit."""
    written = ["name"] + (["parent"] if parent_id else []) + (["manager"] if manager else [])
    access.require(Action.CREATE, TEAM, written)
    group_id = access.business_unit.group_id
    if not name.strip() or len(name) > NAME_LENGTH:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="name", reason=f"1 to {NAME_LENGTH} characters"
        )
    with transaction.atomic():
        if Team.objects.filter(business_unit=access.business_unit, name=name.strip()).exists():
            raise CrmError(ErrorCode.ALREADY_EXISTS, field="name", object="team", value=name)
        return Team.objects.create(
            group_id=group_id,
            business_unit=access.business_unit,
            name=name.strip(),
            parent=_parent(access, None, parent_id) if parent_id else None,
            manager=_member(group_id, manager, "manager") if manager else None,
        )


def team_update(*, access: Access, team_id: int, changes: Mapping[str, Any]) -> Team:
    """`changes`: name, parent (team id or None), manager (user name or None), members (names)."""
    group_id = access.business_unit.group_id
    with transaction.atomic():
        team = lock_visible(access, TEAM, Team.objects.filter(group_id=group_id), team_id)
        access.require(Action.EDIT, team, changes.keys())
        for field, value in changes.items():
            if field == "name":
                if not str(value).strip() or len(value) > NAME_LENGTH:
                    raise CrmError(
                        ErrorCode.INVALID_ARGUMENT,
                        field="name",
                        reason=f"1 to {NAME_LENGTH} characters",
                    )
                team.name = str(value).strip()
            elif field == "parent":
                team.parent = _parent(access, team, value) if value else None
            elif field == "manager":
                team.manager = _member(group_id, value, "manager") if value else None
            elif field == "members":
                team.members.set([_member(group_id, username, "members") for username in value])
            else:
                raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason="not writable")
        try:
            with transaction.atomic():
                team.save()
        except IntegrityError:
            raise CrmError(
                ErrorCode.ALREADY_EXISTS, field="name", object="team", value=team.name
            ) from None
    return team


def team_delete(*, access: Access, team_id: int) -> None:
    with transaction.atomic():
        team = lock_visible(
            access, TEAM, Team.objects.filter(group_id=access.business_unit.group_id), team_id
        )
        access.require(Action.DELETE, team)
        if team.children.exists():
            raise CrmError(ErrorCode.IN_USE, field="id", object="team", id=team.name)
        team.delete()
