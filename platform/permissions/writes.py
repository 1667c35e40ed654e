"""What every write under the policy does first: lock the record, then check its current stage.

The record is read with `SELECT … FOR UPDATE` through the caller's visible set, so a concurrent
stage change either commits before (and this write sees the new stage, and may be refused) or
waits until this write commits. A record outside the caller's view is NOT_FOUND, never "denied",
so its existence is not revealed.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import ObjectType
from crm.platform.permissions.vocabulary import Action

M = TypeVar("M", bound=models.Model)


def lock_visible(
    access: Access, object_type: ObjectType, queryset: models.QuerySet[M], pk: object
) -> M:
    """The record, row-locked, if the caller may view it; else NOT_FOUND. Call inside atomic."""
    record = (
        access.visible(object_type, queryset).select_for_update(of=("self",)).filter(pk=pk).first()
    )
    if record is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object=object_type.name, id=pk)
    return record


def next_stage(object_type: ObjectType, record: models.Model, action: str) -> str:
    """The stage after (ADVANCE) or before (RETREAT) the record's; INVALID_STAGE_CHANGE at ends."""
    stages = object_type.stages
    current = object_type.stage_of(record)
    index = stages.index(current) + (1 if action == Action.ADVANCE else -1)
    if not 0 <= index < len(stages):
        raise CrmError(
            ErrorCode.INVALID_STAGE_CHANGE,
            field="id",
            object=object_type.name,
            stage=current,
            direction="forward" if action == Action.ADVANCE else "back",
        )
    return stages[index]


def move_stage(access: Access, object_type: ObjectType, record: M, action: str) -> M:
    """Advance or retreat a locked record one stage, if the policy allows it at its stage now."""
    access.require(action, record)
    assert object_type.stage_field is not None
    setattr(record, object_type.stage_field, next_stage(object_type, record, action))
    record.save(update_fields=[object_type.stage_field])
    return record
