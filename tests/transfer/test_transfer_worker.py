"""A real worker runs the jobs the API starts; a job cut off halfway resumes where it stopped."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.masterdata.customers.models import Customer
from crm.masterdata.transfer import jobs
from crm.masterdata.transfer.importers.customers import CustomerImporter
from crm.masterdata.transfer.models import TransferJob
from crm.tests.transfer.helpers import access_of, csv_bytes

JOB = "query($id: ID!) { transferJob(id: $id) { status created failed processedRows } }"
IMPORT = """
mutation($file: Upload!) { masterDataImport(kind: CUSTOMERS, file: $file) {
  errors { code } job { id } } }
"""


@pytest.fixture
def committed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """No test transaction: what the request writes is committed, so the worker sees it."""
    with django_db_blocker.unblock():
        yield
        TransferJob.objects.filter(file_name__startswith="worker-").delete()
        Customer.objects.filter(code__startswith="WRK-").delete()


def test_an_uploaded_file_is_imported_by_the_worker(committed, graphql, celery_worker_process):
    content = csv_bytes(
        "code,legal_name,country",
        *[f"WRK-{n},Worker Werke {n} GmbH,DE" for n in range(1, 26)],
        "WRK-X,,DE",
    )
    response = graphql.client.post(
        "/graphql/",
        data={
            "operations": json.dumps({"query": IMPORT, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile("worker-customers.csv", content),
        },
        headers={
            "Authorization": f"Bearer {graphql.token_for('acme.steward')}",
            "X-Business-Unit": "acme.hq",
        },
    )
    payload = json.loads(response.content)["data"]["masterDataImport"]
    assert payload["errors"] == []
    deadline = time.monotonic() + 60
    while True:
        shown = graphql(JOB, {"id": payload["job"]["id"]}, as_="acme.steward").data["transferJob"]
        if shown["status"] in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert shown == {"status": "SUCCEEDED", "created": 25, "failed": 1, "processedRows": 26}
    assert Customer.objects.filter(code__startswith="WRK-").count() == 25


class Interrupted(BaseException):
    """Stands for a worker killed mid-job: nothing after it runs, not even `except Exception`."""


def test_a_job_cut_off_after_a_chunk_resumes_after_it(world, monkeypatch):
    content = csv_bytes(
        "code,legal_name,country", *[f"RES-{n},Resume {n} AG,DE" for n in range(1, 8)]
    )
    access = access_of("acme.steward")
    job = jobs.start_import(access=access, kind="CUSTOMERS", file_name="r.csv", content=content)
    monkeypatch.setattr(jobs, "CHUNK", 3)
    real = CustomerImporter.import_chunk
    calls = {"n": 0}

    def cut_off_after_first(self: Any, rows: Any, outcome: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Interrupted
        real(self, rows, outcome)

    monkeypatch.setattr(CustomerImporter, "import_chunk", cut_off_after_first)
    with pytest.raises(Interrupted):
        jobs.run(job, access)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created) == ("RUNNING", 3, 3)
    monkeypatch.setattr(CustomerImporter, "import_chunk", real)
    job = jobs.run(job, access)  # the task delivered again
    assert (job.status, job.processed_rows, job.created, job.unchanged) == ("SUCCEEDED", 7, 7, 0)
    assert Customer.objects.filter(code__startswith="RES-").count() == 7


def test_a_job_whose_starter_lost_the_right_fails_with_the_refusal(world):
    from crm.platform.accounts.models import Membership

    access = access_of("acme.steward")
    job = jobs.start_import(
        access=access,
        kind="CUSTOMERS",
        file_name="late.csv",
        content=csv_bytes("code,legal_name,country", "LATE-1,Spät GmbH,DE"),
    )
    Membership.objects.filter(user__username="acme.steward").delete()
    job = jobs.run(job, access_of("acme.steward"))
    assert job.status == "FAILED"
    assert job.error["code"] == "PERMISSION_DENIED"
    assert not Customer.objects.filter(code="LATE-1").exists()
