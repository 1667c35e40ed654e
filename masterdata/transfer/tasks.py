"""The worker side of import and export jobs."""

from __future__ import annotations

from typing import Any

from crm.masterdata.transfer.jobs import fail, run
from crm.masterdata.transfer.models import TransferJob
from crm.platform.accounts.actors import Actor, access_for
from crm.platform.celery_app import RETRYING, app
from crm.platform.core.errors import CrmError

RUN_TRANSFER = "crm.masterdata.run_transfer"


@app.task(name=RUN_TRANSFER, **RETRYING)
def run_transfer_task(*, job_id: int, actor: Actor) -> dict[str, Any]:
    """Runs (or, delivered again after a lost worker, resumes) a job as its starter now: a
    revoked key or a removed role fails the job with the refusal, and writes nothing."""
    job = TransferJob.objects.get(pk=job_id)
    try:
        access = access_for(actor, task=RUN_TRANSFER)
    except CrmError as error:
        job = fail(job, error)
        return {"status": job.status, "error": job.error}
    try:
        job = run(job, access)
    finally:
        access.flush()
    return {
        "status": job.status,
        "processed": job.processed_rows,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "failed": job.failed,
        "error": job.error,
    }
