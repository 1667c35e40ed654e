"""The import and export commands: same checks and job as the API, progress in the terminal."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crm.masterdata.customers.models import Customer
from crm.masterdata.transfer.models import TransferJob
from crm.tests.transfer.helpers import csv_bytes


def test_import_command_imports_reports_refused_rows_and_exits_2(world, tmp_path):
    source = tmp_path / "customers.csv"
    source.write_bytes(
        csv_bytes("code,legal_name,country", "CMD-1,Kommando GmbH,DE", "CMD-2,Falsch,ZZ")
    )
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command(
            "import_masterdata",
            str(source),
            kind="customers",
            group="acme",
            business_unit="hq",
            user="acme.steward",
            stdout=out,
        )
    assert exited.value.code == 2
    assert "1 created" in out.getvalue()
    assert "1 refused" in out.getvalue()
    assert Customer.objects.filter(code="CMD-1").exists()
    report = (tmp_path / "customers.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert report[1].startswith("3,country,INVALID_ARGUMENT,")
    job = TransferJob.objects.get()
    assert (job.created_by.username, job.failed) == ("acme.steward", 1)


def test_import_command_refuses_a_user_without_the_right(world, tmp_path):
    source = tmp_path / "customers.csv"
    source.write_bytes(csv_bytes("code,legal_name,country", "CMD-3,Kommando GmbH,DE"))
    with pytest.raises(CommandError, match="PERMISSION_DENIED"):
        call_command(
            "import_masterdata",
            str(source),
            kind="customers",
            group="acme",
            user="acme.de.sales",
            business_unit="de",
            stdout=io.StringIO(),
        )
    assert not Customer.objects.filter(code="CMD-3").exists()


def test_import_command_refuses_a_user_of_another_group(world, tmp_path):
    source = tmp_path / "customers.csv"
    source.write_bytes(csv_bytes("code,legal_name,country", "CMD-4,Kommando GmbH,DE"))
    with pytest.raises(CommandError, match="no user"):
        call_command(
            "import_masterdata",
            str(source),
            kind="customers",
            group="acme",
            business_unit="hq",
            user="rival.admin",
            stdout=io.StringIO(),
        )


def test_export_command_writes_the_file(world, tmp_path):
    target = tmp_path / "materials.csv"
    out = io.StringIO()
    call_command(
        "export_masterdata",
        str(target),
        kind="materials",
        group="acme",
        business_unit="hq",
        user="acme.steward",
        stdout=out,
    )
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("code,unit,name_en")
    assert len(lines) == 1 + 61  # the header and acme's materials
    assert "succeeded" in out.getvalue()
