"""Import and export through GraphQL: a multipart upload starts a job, the job is polled, the
files are downloaded over HTTP; each path refuses other groups and other people's jobs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.masterdata.transfer import jobs
from crm.masterdata.transfer.models import TransferJob
from crm.tests.transfer.helpers import access_of, csv_bytes, run_import

IMPORT = """
mutation($kind: TransferKind!, $file: Upload!) {
  masterDataImport(kind: $kind, file: $file) {
    errors { code field message }
    job { id kind direction format fileName status errorReportUrl fileUrl } } }
"""
EXPORT = """
mutation($kind: TransferKind!, $format: FileFormat!, $filter: ExportFilter) {
  masterDataExport(kind: $kind, format: $format, filter: $filter) {
    errors { code field }
    job { id status fileName } } }
"""
JOB = """
query($id: ID!) { transferJob(id: $id) {
  status totalRows processedRows created updated unchanged failed errorReportUrl
  rowErrors { line column code message } error { code } } }
"""
JOBS = "{ transferJobs(first: 10) { totalCount edges { node { id fileName } } } }"
CUSTOMERS = csv_bytes("code,legal_name,country,tax_id", "API-1,Api Werke GmbH,DE,DE999999999")


def upload(graphql: Any, content: bytes, *, name: str = "customers.csv", **ask: Any) -> Any:
    """A GraphQL multipart request, as a client library sends it."""
    username = ask.pop("as_", "acme.steward")
    kind = ask.pop("kind", "CUSTOMERS")
    response = graphql.client.post(
        "/graphql/",
        data={
            "operations": json.dumps({"query": IMPORT, "variables": {"kind": kind, "file": None}}),
            "map": json.dumps(ask.pop("map", {"0": ["variables.file"]})),
            "0": SimpleUploadedFile(name, content),
        },
        headers={
            "Authorization": f"Bearer {graphql.token_for(username)}",
            "X-Business-Unit": ask.pop("bu", "acme.hq"),
        },
    )
    return json.loads(response.content)


def test_an_upload_starts_a_queued_job_for_the_worker(
    world, graphql, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        body = upload(graphql, CUSTOMERS)
    payload = body["data"]["masterDataImport"]
    assert payload["errors"] == []
    job = payload["job"]
    assert (job["kind"], job["direction"], job["format"], job["status"]) == (
        "CUSTOMERS",
        "IMPORT",
        "CSV",
        "QUEUED",
    )
    assert job["fileName"] == "customers.csv"
    assert job["errorReportUrl"].endswith("/errors.csv")
    assert job["fileUrl"] is None
    assert len(queued) == 1  # the worker's task, sent once the job is committed
    record = TransferJob.objects.get()
    assert bytes(record.files.get().content) == CUSTOMERS


def test_a_file_with_an_unknown_column_is_refused_before_any_job(world, graphql):
    body = upload(graphql, csv_bytes("code,colour", "A,red"))
    payload = body["data"]["masterDataImport"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_FILE", "file")]
    assert "colour" in payload["errors"][0]["message"]
    assert payload["job"] is None
    assert not TransferJob.objects.exists()


def test_a_malformed_multipart_map_is_a_typed_error(world, graphql):
    body = upload(graphql, CUSTOMERS, map={"0": ["variables.nothing.here"]})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_ARGUMENT"]
    assert not TransferJob.objects.exists()


def test_a_bu_salesperson_may_not_import(world, graphql, settings):
    settings.REGION = "eu"
    body = upload(graphql, CUSTOMERS, as_="acme.de.sales", bu="acme.de")
    assert [e["code"] for e in body["data"]["masterDataImport"]["errors"]] == ["PERMISSION_DENIED"]
    assert not TransferJob.objects.exists()


def test_a_job_shows_its_progress_and_refused_rows(world, graphql):
    job = run_import(
        csv_bytes("code,legal_name,country", "Q-1,Quelle AG,DE", "Q-2,Nirgendwo,QQ"),
        kind="CUSTOMERS",
    )
    reply = graphql(JOB, {"id": _gid(job)}, as_="acme.steward")
    assert reply.errors == []
    shown = reply.data["transferJob"]
    assert (shown["status"], shown["totalRows"], shown["processedRows"]) == ("SUCCEEDED", 2, 2)
    assert (shown["created"], shown["failed"]) == (1, 1)
    (refused,) = shown["rowErrors"]
    assert (refused["line"], refused["column"], refused["code"]) == (
        3,
        "country",
        "INVALID_ARGUMENT",
    )
    assert "QQ" in refused["message"]


def _gid(job: TransferJob) -> str:
    from graphql_relay import to_global_id

    return to_global_id("TransferJob", str(job.pk))


def test_jobs_are_their_starters_and_the_groups_stewards(world, graphql):
    """The director may run exports of their own; they do not see the steward's jobs, and
    another group's admin sees none of this group's."""
    mine = run_import(CUSTOMERS, kind="CUSTOMERS")
    directors = jobs.start_export(
        access=access_of("acme.director"), kind="CUSTOMERS", file_format="CSV"
    )
    listed = graphql(JOBS, as_="acme.director").data["transferJobs"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [_gid(directors)]
    assert graphql(JOB, {"id": _gid(mine)}, as_="acme.director").codes == ["NOT_FOUND"]
    seen = graphql(JOBS, as_="acme.admin").data["transferJobs"]["totalCount"]
    assert seen == 2
    assert graphql(JOB, {"id": _gid(mine)}, bu="rival.main").codes == ["NOT_FOUND"]
    assert graphql(JOBS, bu="rival.main").data["transferJobs"]["totalCount"] == 0


def test_a_malformed_job_id_is_a_typed_error(world, graphql):
    assert graphql(JOB, {"id": "not-an-id"}, as_="acme.steward").codes == ["MALFORMED_ID"]


def download(graphql: Any, url: str, *, as_: str = "acme.steward", bu: str = "acme.hq") -> Any:
    return graphql.client.get(
        url,
        headers={"Authorization": f"Bearer {graphql.token_for(as_)}", "X-Business-Unit": bu},
    )


def test_the_error_report_downloads_as_csv_or_xlsx_for_those_who_see_the_job(world, graphql):
    job = run_import(
        csv_bytes("code,legal_name,country", "R-1,Fine AG,DE", "R-2,,DE"), kind="CUSTOMERS"
    )
    url = f"/files/transfer-jobs/{job.pk}/errors.csv"
    response = download(graphql, url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("3,legal_name,INVALID_ARGUMENT,")
    assert download(graphql, url.replace(".csv", ".xlsx")).content.startswith(b"PK")
    assert download(graphql, url, as_="acme.director").status_code == 404
    assert download(graphql, url, bu="rival.main", as_="rival.admin").status_code == 404
    assert download(graphql, f"/files/transfer-jobs/{job.pk}/other.txt").status_code == 404
    anonymous = graphql.client.get(url, headers={"X-Business-Unit": "acme.hq"})
    assert anonymous.status_code == 401


def test_an_export_is_started_with_a_filter_and_its_file_downloads(
    world, graphql, django_capture_on_commit_callbacks
):
    run_import(CUSTOMERS, kind="CUSTOMERS")
    with django_capture_on_commit_callbacks() as queued:
        reply = graphql(
            EXPORT,
            {"kind": "CUSTOMERS", "format": "XLSX", "filter": {"country": "DE"}},
            as_="acme.steward",
        )
    payload = reply.data["masterDataExport"]
    assert payload["errors"] == []
    assert len(queued) == 1
    job = TransferJob.objects.get(pk=int(_pk(payload["job"]["id"])))
    assert job.options == {"country": "DE"}
    jobs.run(job, access_of("acme.steward"))  # what the worker does
    response = download(graphql, f"/files/transfer-jobs/{job.pk}/{job.file_name}")
    assert response.status_code == 200
    assert response.content.startswith(b"PK")


def _pk(global_id: str) -> str:
    from graphql_relay import from_global_id

    return from_global_id(global_id)[1]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"kind": "PRICE_LISTS", "format": "CSV", "filter": {"country": "DE"}}, "INVALID_ARGUMENT"),
        ({"kind": "CUSTOMERS", "format": "CSV", "filter": {"country": "XX"}}, "INVALID_ARGUMENT"),
        (
            {"kind": "MATERIALS", "format": "CSV", "filter": {"status": ["GONE"]}},
            "INVALID_ARGUMENT",
        ),
    ],
)
def test_bad_export_filters_are_typed_errors_and_start_nothing(world, graphql, variables, code):
    payload = graphql(EXPORT, variables, as_="acme.steward").data["masterDataExport"]
    assert [e["code"] for e in payload["errors"]] == [code]
    assert not TransferJob.objects.exists()


def test_a_salesperson_may_not_export_customers(world, graphql, settings):
    settings.REGION = "eu"
    payload = graphql(
        EXPORT, {"kind": "CUSTOMERS", "format": "CSV"}, bu="acme.de", as_="acme.de.sales"
    ).data["masterDataExport"]
    assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
