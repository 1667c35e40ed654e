"""The words of a policy: actions, record scopes and field modes."""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    VIEW = "view", _("view")
    CREATE = "create", _("create")
    EDIT = "edit", _("edit")
    DELETE = "delete", _("delete")
    ADVANCE = "advance", _("advance stage")
    RETREAT = "retreat", _("move stage back")
    APPROVE = "approve", _("approve")
    EXPORT = "export", _("export")
    ASSIGN = "assign", _("assign")


class Scope(models.TextChoices):
    """Which records a rule reaches, from narrowest to widest."""

    OWN = "own", _("own records")
    TEAM = "team", _("records of the teams one manages, and below")
    BUSINESS_UNIT = "bu", _("records of the business unit")
    GROUP = "group", _("records of every business unit of the group")


class FieldMode(enum.IntEnum):
    """Ordered: a person with two roles gets the wider mode of the two."""

    HIDDEN = 0
    READ = 1
    WRITE = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> FieldMode:
        return cls[value.upper()]


# Actions that change a record: never granted by a group-scope rule unless written out in it.
WRITE_ACTIONS = frozenset(
    {Action.CREATE, Action.EDIT, Action.DELETE, Action.ADVANCE, Action.RETREAT, Action.ASSIGN}
)
