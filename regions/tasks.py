"""Celery: run the region moves whose time has come (beat, every minute, in each cell)."""

from __future__ import annotations

from crm.platform.celery_app import app
from crm.regions.moves.runner import run_due_moves

RUN_DUE_MOVES = "crm.regions.run_due_moves"


@app.task(name=RUN_DUE_MOVES)
def run_due_moves_task() -> list[dict[str, object]]:
    """Runs in the public schema; each move records its own outcome and audit trail."""
    return [{"id": move.pk, "status": move.status, "step": move.step} for move in run_due_moves()]
