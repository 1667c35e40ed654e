"""What the BU's services tell automation: a record was created, fields or its stage changed, an
external event arrived. Call these inside the write's transaction, after the write; the rules
that apply run in the same transaction (their tasks, field changes and assignments commit or
roll back with the write), and what leaves the database (e-mail, webhooks) is sent on commit.

    events.record_created(access, "lead", lead)
    events.fields_changed(access, "lead", lead, {"owner": (old_owner_id, new_owner_id)})
    events.stage_changed(access, "opportunity", deal, "quote", "negotiation", occurrence="17")

`occurrence` tells two moves of the same record apart (e.g. the id of the trail entry), so a
rule fires once per record and occurrence, never twice for the same one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models

from crm.platform.permissions.engine import Access
from crm.tenants.automation.models import Trigger


@dataclass(frozen=True)
class Event:
    trigger: Trigger
    record_type: str
    record: models.Model
    occurrence: str
    # FIELD_CHANGED: {field: (old, new)}; STAGE_CHANGED: {"stage": (from, to)}
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    # EXTERNAL: the event's kind and details.
    kind: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def record_created(access: Access, record_type: str, record: models.Model) -> None:
    dispatch(access, Event(Trigger.CREATED, record_type, record, occurrence="created"))


def fields_changed(
    access: Access,
    record_type: str,
    record: models.Model,
    changes: dict[str, tuple[Any, Any]],
    *,
    occurrence: str = "",
) -> None:
    changed = {name: values for name, values in changes.items() if values[0] != values[1]}
    if changed:
        dispatch(
            access,
            Event(Trigger.FIELD_CHANGED, record_type, record, occurrence, changes=changed),
        )


def stage_changed(
    access: Access,
    record_type: str,
    record: models.Model,
    from_stage: str,
    to_stage: str,
    *,
    occurrence: str,
) -> None:
    dispatch(
        access,
        Event(
            Trigger.STAGE_CHANGED,
            record_type,
            record,
            occurrence,
            changes={"stage": (from_stage, to_stage)},
        ),
    )


def dispatch(access: Access, event: Event) -> None:
    """Run the BU's active rules that this event triggers (see `crm.tenants.automation.engine`)."""
    from crm.tenants.automation import engine

    engine.run(access, event)
