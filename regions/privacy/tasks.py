"""Celery beat task of a cell: apply the retention policies of every group with business units
homed here, then delete access exports whose download period ended."""

from __future__ import annotations

from typing import Any

from crm.platform.celery_app import RETRYING, app

APPLY_RETENTION = "crm.regions.privacy.apply_retention"


@app.task(name=APPLY_RETENTION, **RETRYING)
def apply_retention_task(dry_run: bool = False) -> dict[str, Any]:
    """Runs in the public schema and visits each local business unit's schema itself. Safe to
    run twice (anonymized records are not selected again). Acts for no user."""
    from crm.regions.privacy.retention import purge_expired_exports, run_cell

    runs = run_cell(dry_run=dry_run, triggered_by="retention schedule")
    return {
        "runs": [{"group": run.group.code, "run": run.pk, "report": run.report} for run in runs],
        "expired_exports": 0 if dry_run else purge_expired_exports(),
    }
