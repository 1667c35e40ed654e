"""Acting as a test user, and building files to import."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook, load_workbook

from crm.masterdata.transfer import jobs
from crm.masterdata.transfer.models import TransferJob
from crm.platform.accounts.authentication import user_principal
from crm.platform.accounts.models import User
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import load_policy
from crm.tenants.models import BusinessUnit


def access_of(username: str, bu: str = "hq") -> Access:
    user = User.objects.get(username=username)
    unit = BusinessUnit.objects.select_related("group").get(group_id=user.group_id, code=bu)
    return Access(user_principal(user), unit, load_policy(unit.group_id))


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_rows(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def run_import(
    content: bytes, *, kind: str, as_: str = "acme.steward", name: str = "file.csv"
) -> TransferJob:
    access = access_of(as_)
    job = jobs.start_import(access=access, kind=kind, file_name=name, content=content)
    return jobs.run(job, access)


def run_export(kind: str, *, as_: str = "acme.steward", fmt: str = "CSV", **options: Any) -> bytes:
    access = access_of(as_)
    job = jobs.start_export(access=access, kind=kind, file_format=fmt, options=options)
    job = jobs.run(job, access)
    assert job.status == "SUCCEEDED", job.error
    return jobs.result_file(job)


def errors_of(job: TransferJob) -> dict[int, tuple[str, str]]:
    """Refused rows: line → (column, code)."""
    return {e.row: (e.column, e.code) for e in job.row_errors.all()}
