"""Scheduling and running a region move, step by step, resumably, with an audit trail.

The source cell runs the move (it holds the data): FREEZE, EXPORT, IMPORT, VERIFY, SWITCH,
PURGE, UNFREEZE. `RegionMove.step` is the next step to run and is saved after each step, so a
move interrupted anywhere (an error, a cell down, the process killed) continues with
`resume_move` from the step it had not finished; every step can run again without harm.

VERIFY compares three sets of checksums: the export's, the source's data now, and the target's.
Data changed since the export (a write that slipped past the freeze, a background task) sends
the move back to EXPORT; a target that differs sends it back to IMPORT. Either way the move
stops as FAILED with the reason, to be resumed.

Every step is recorded in the move's log (start, duration, counts) and as an audit entry
(`REGION_MOVE`). The entries name the move and the BU's handle, not the BU's row: after the
switch, the source cell keeps no rows attributed to the BU (see the residency scan).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crm.platform.accounts.models import User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.models import AuditEntry, AuditEvent
from crm.regions.models import MOVE_STEPS, MoveStatus, MoveStep, Region, RegionMove
from crm.regions.moves import bundle, directory, people, transport
from crm.regions.moves.errors import MoveError
from crm.regions.moves.tables import checksums, q
from crm.regions.residency import drop_queued_tasks
from crm.tenants.db import tenant_connection
from crm.tenants.models import BusinessUnit

SWITCH_WAIT = 30.0  # seconds the source waits to see its own directory switched


def export_folder() -> Path:
    folder = Path(getattr(settings, "REGION_MOVE_DIR", settings.BASE_DIR / ".local" / "moves"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- scheduling ----------------------------------------------------------------------------------


def schedule_move(
    *,
    business_unit: BusinessUnit,
    to_region: str,
    at: datetime.datetime | None = None,
    actor: User | None = None,
) -> RegionMove:
    """Plan moving the BU to `to_region` (now, or at `at`). Run in the BU's home cell."""
    if business_unit.region_id != settings.REGION:
        raise CrmError(
            ErrorCode.WRONG_REGION,
            field="businessUnit",
            business_unit=business_unit.handle,
            region=business_unit.region_id,
            endpoint=business_unit.region.api_endpoint,
        )
    target = Region.objects.filter(code=to_region).first()
    if target is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="toRegion", object="region", id=to_region)
    if target.code == business_unit.region_id:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="toRegion",
            reason=f"the business unit is already homed in {target.code}",
        )
    try:
        with transaction.atomic():
            move = RegionMove.objects.create(
                group_id=business_unit.group_id,
                business_unit=business_unit,
                source_region_id=business_unit.region_id,
                target_region=target,
                scheduled_at=at or timezone.now(),
                created_by=actor,
            )
    except IntegrityError:
        raise CrmError(
            ErrorCode.ALREADY_EXISTS,
            field="businessUnit",
            object="region move",
            value=business_unit.handle,
        ) from None
    _audit(move, "scheduled", actor=actor, scheduled_at=move.scheduled_at.isoformat())
    return move


def cancel_move(*, move: RegionMove, actor: User | None = None) -> RegionMove:
    """Cancel a move that has not started."""
    updated = RegionMove.objects.filter(pk=move.pk, status=MoveStatus.SCHEDULED).update(
        status=MoveStatus.CANCELLED, finished_at=timezone.now()
    )
    move.refresh_from_db()
    if not updated:
        raise CrmError(
            ErrorCode.RECORD_CLOSED, field="id", object="region move", status=move.status.lower()
        )
    _audit(move, "cancelled", actor=actor)
    return move


# -- running -------------------------------------------------------------------------------------


def due_moves() -> list[int]:
    return list(
        RegionMove.objects.filter(
            status=MoveStatus.SCHEDULED,
            scheduled_at__lte=timezone.now(),
            source_region_id=settings.REGION,
        )
        .order_by("scheduled_at", "id")
        .values_list("id", flat=True)
    )


def run_move(move_id: int, *, resume: bool = False) -> RegionMove:
    """Run the move's remaining steps. A scheduled move starts; with `resume`, a failed or
    interrupted (still RUNNING) one goes on from its step. Returns the move as it ended."""
    allowed = [MoveStatus.SCHEDULED]
    if resume:
        allowed += [MoveStatus.FAILED, MoveStatus.RUNNING]
    with transaction.atomic():
        move = (
            RegionMove.objects.select_for_update(skip_locked=True)
            .select_related("business_unit__group", "target_region", "source_region")
            .filter(pk=move_id, status__in=allowed)
            .first()
        )
        if move is None:
            found = RegionMove.objects.filter(pk=move_id).first()
            if found is None:
                raise MoveError(f"there is no move {move_id}")
            return found
        move.status = MoveStatus.RUNNING
        move.attempts += 1
        move.started_at = move.started_at or timezone.now()
        move.error = {}
        move.save(update_fields=["status", "attempts", "started_at", "error"])
    if resume:
        _audit(move, "resumed", step=move.step)
    while move.step != MoveStep.DONE:
        step = MoveStep(move.step)
        started = time.perf_counter()
        at = timezone.now()
        try:
            detail = STEPS[step](move) or {}
        except Exception as error:
            seconds = time.perf_counter() - started
            message = str(error)[:1000] or type(error).__name__
            tenant_connection().set_schema_to_public()
            move.refresh_from_db(fields=["step"])
            failed_at = step.value
            move.status = MoveStatus.FAILED
            move.error = {"step": failed_at, "message": message}
            move.log = [*move.log, _entry(failed_at, move, at, seconds, "failed", message)]
            move.save(update_fields=["status", "error", "log", "step"])
            _audit(move, "failed", step=failed_at, message=message)
            return move
        seconds = time.perf_counter() - started
        move.step = MOVE_STEPS[MOVE_STEPS.index(step) + 1]
        move.log = [*move.log, _entry(step.value, move, at, seconds, "done", detail)]
        if move.step == MoveStep.DONE:
            move.status = MoveStatus.DONE
            move.finished_at = timezone.now()
        move.save()
        _audit(move, step.value.lower(), seconds=round(seconds, 3), **_flat(detail))
    return move


def resume_move(move_id: int) -> RegionMove:
    return run_move(move_id, resume=True)


def run_due_moves() -> list[RegionMove]:
    return [run_move(move_id) for move_id in due_moves()]


def _entry(
    step: str, move: RegionMove, at: datetime.datetime, seconds: float, outcome: str, detail: Any
) -> dict[str, Any]:
    return {
        "step": step,
        "attempt": move.attempts,
        "started_at": at.isoformat(),
        "seconds": round(seconds, 3),
        "outcome": outcome,
        "detail": detail,
    }


def _flat(detail: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in detail.items() if not isinstance(value, dict | list)}


def _audit(move: RegionMove, what: str, *, actor: User | None = None, **details: Any) -> None:
    AuditEntry.objects.create(
        group_id=move.group_id,
        business_unit=None,  # the BU's rows leave this cell; the entry names it in `details`
        event=AuditEvent.REGION_MOVE,
        user=actor,
        actor=actor.get_username() if actor else f"region move {move.pk}",
        action=f"move.{what}",
        object_type="region_move",
        object_ids=[str(move.pk)],
        origin="region move",
        details={
            "business_unit": move.business_unit.handle,
            "from": move.source_region_id,
            "to": move.target_region_id,
            **details,
        },
    )


# -- the steps -----------------------------------------------------------------------------------


def _freeze(move: RegionMove) -> dict[str, Any]:
    RegionMove.objects.filter(pk=move.pk).update(frozen=True)
    move.frozen = True
    return {}


def _export(move: RegionMove) -> dict[str, Any]:
    data = bundle.export_business_unit(move.business_unit)
    path = export_folder() / f"region-move-{move.pk}.json.gz"
    encoded = bundle.encode(data)
    path.write_bytes(encoded)
    move.export_file = str(path)
    # Ids, not names: the move's record stays in this cell after the people have left it.
    move.manifest = {"tables": data["manifest"], "member_ids": data["people"]["member_ids"]}
    rows = sum(int(table["rows"]) for table in data["manifest"].values())
    return {
        "tables": len(data["tables"]),
        "rows": rows,
        "users": len(data["people"]["users"]),
        "bytes": len(encoded),
    }


def _import(move: RegionMove) -> dict[str, Any]:
    path = Path(move.export_file)
    if not move.export_file or not path.exists():
        move.step = MoveStep.EXPORT
        move.save(update_fields=["step"])
        raise MoveError("the export is gone; resume exports again")
    answer = transport.call(move.target_region_id, "import", path.read_bytes())
    bundle.fault("after-import")
    loaded = answer.get("checksums", {})
    return {
        "tables": len(loaded),
        "rows": sum(int(table["rows"]) for table in loaded.values()),
        "already_home": bool(answer.get("already_home")),
    }


def _differences(left: dict[str, Any], right: dict[str, Any]) -> list[str]:
    return sorted(name for name in set(left) | set(right) if left.get(name) != right.get(name))


def _verify(move: RegionMove) -> dict[str, Any]:
    handle = move.business_unit.handle
    if move.business_unit.region_id == settings.REGION:
        now = checksums(move.business_unit.schema_name)
        changed = _differences(move.manifest["tables"], now)
        if changed:
            move.step = MoveStep.EXPORT
            move.save(update_fields=["step"])
            raise MoveError(f"data changed since the export ({', '.join(changed)}); resume")
    answer = transport.call_json(move.target_region_id, "checksums", {"business_unit": handle})
    differ = _differences(move.manifest["tables"], answer.get("checksums", {}))
    if differ:
        move.step = MoveStep.IMPORT
        move.save(update_fields=["step"])
        raise MoveError(f"the target's tables differ: {', '.join(differ)}; resume re-imports")
    tables = move.manifest["tables"]
    return {"tables": len(tables), "rows": sum(int(table["rows"]) for table in tables.values())}


def publish_directory_switch(move: RegionMove) -> dict[str, Any]:
    """SWITCH: the home cell writes the directory (and replicates it); the move's own cells
    apply it at once; the other cells are told too, but may learn it by replication."""
    business_unit = move.business_unit
    target = move.target_region
    home = business_unit.group.home_region_id
    payload = {"business_unit": business_unit.handle, "region": target.code}
    told: dict[str, Any] = {}
    if home == settings.REGION:
        told[home] = directory.switch_business_unit_region(
            business_unit=business_unit, region=target
        )
    else:
        told[home] = transport.call_json(home, "switch", payload).get("changed")
    if target.code != home:
        told[target.code] = transport.call_json(target.code, "switch", payload).get("changed")
    if home != settings.REGION:
        told[settings.REGION] = directory.apply_switch_as_replica(
            business_unit=business_unit, region=target
        )
    for region in Region.objects.order_by("code").values_list("code", flat=True):
        if region in told:
            continue
        try:
            told[region] = transport.call_json(region, "switch", payload).get("changed")
        except MoveError as error:  # replication will bring it there
            told[region] = f"later, by replication ({str(error)[:120]})"
    business_unit.refresh_from_db(fields=["region"])
    return {"cells": told}


def _switch(move: RegionMove) -> dict[str, Any]:
    detail = publish_directory_switch(move)
    if move.business_unit.region_id != move.target_region_id:
        raise MoveError("the directory here does not show the switch yet; resume")
    return detail


def _purge(move: RegionMove) -> dict[str, Any]:
    business_unit = move.business_unit
    if business_unit.region_id == settings.REGION:
        raise MoveError("the business unit is still homed here: nothing is purged")
    path = Path(move.export_file) if move.export_file else None
    tenant_connection().set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {q(business_unit.schema_name)} CASCADE")
    counts = people.purge_people(business_unit, move.manifest.get("member_ids", []))
    counts["queued_tasks"] = drop_queued_tasks(
        settings.CELERY_BROKER_URL, f"crm-{settings.REGION}", business_unit.schema_name
    )
    if path is not None and path.exists():
        path.unlink()
    return counts


def _unfreeze(move: RegionMove) -> dict[str, Any]:
    RegionMove.objects.filter(pk=move.pk).update(frozen=False)
    move.frozen = False
    return {}


STEPS: dict[MoveStep, Callable[[RegionMove], dict[str, Any] | None]] = {
    MoveStep.FREEZE: _freeze,
    MoveStep.EXPORT: _export,
    MoveStep.IMPORT: _import,
    MoveStep.VERIFY: _verify,
    MoveStep.SWITCH: _switch,
    MoveStep.PURGE: _purge,
    MoveStep.UNFREEZE: _unfreeze,
}
