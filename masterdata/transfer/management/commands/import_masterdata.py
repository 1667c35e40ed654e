"""Import customers, materials or prices from a CSV or XLSX file, as a named user.

    manage.py import_masterdata customers.xlsx --kind customers --group lumina \\
        --user lumina.steward [--business-unit hq] [--errors refused.csv]

The import runs here, in this process, exactly as the API's job runs in the worker (same checks,
same history entries, same job record); progress shows in the terminal. Exit status: 0 when
every row was imported or unchanged, 2 when some rows were refused (see the error report),
1 when the file or the user was refused as a whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.masterdata.transfer import jobs
from crm.masterdata.transfer.management.commands._common import (
    add_actor_arguments,
    command_access,
    show_progress,
    summary,
)
from crm.masterdata.transfer.models import FileFormat, JobStatus, Kind
from crm.platform.core.errors import CrmError


class Command(BaseCommand):
    help = "Import customers, materials or price list items from a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", required=True, choices=[k.lower() for k in Kind.values])
        add_actor_arguments(parser)
        parser.add_argument(
            "--errors", type=Path, help="Write the refused rows here (.csv or .xlsx)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        access = command_access(options, "import_masterdata")
        try:
            job = jobs.start_import(
                access=access,
                kind=options["kind"].upper(),
                file_name=path.name,
                content=path.read_bytes(),
            )
            with show_progress(self.stdout, f"Importing {path.name}") as progress:
                job = jobs.run(job, access, progress)
        except CrmError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        finally:
            access.flush()
        self.stdout.write(summary(job))
        if job.status == JobStatus.FAILED:
            raise CommandError(f"{job.error}")
        if job.failed:
            report: Path = options["errors"] or path.with_name(f"{path.stem}.errors.csv")
            file_format = FileFormat.XLSX if report.suffix == ".xlsx" else FileFormat.CSV
            report.write_bytes(jobs.error_report(job, file_format))
            self.stdout.write(f"{job.failed} rows refused; the error report is {report}")
            raise SystemExit(2)
