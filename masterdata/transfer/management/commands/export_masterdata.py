"""Export customers, materials or prices to a CSV or XLSX file, as a named user.

    manage.py export_masterdata customers.xlsx --kind customers --group lumina \\
        --user lumina.steward [--country DE] [--status ACTIVE] [--price-list PL-1]

The format follows the file's suffix. Only what the user may export is written.
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
    help = "Export customers, materials or price list items to a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", required=True, choices=[k.lower() for k in Kind.values])
        add_actor_arguments(parser)
        parser.add_argument("--country")
        parser.add_argument("--status", action="append")
        parser.add_argument("--price-list", action="append", dest="price_lists")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        access = command_access(options, "export_masterdata")
        filters = {
            "country": options["country"],
            "status": options["status"],
            "priceLists": options["price_lists"],
        }
        try:
            job = jobs.start_export(
                access=access,
                kind=options["kind"].upper(),
                file_format=FileFormat.XLSX if path.suffix == ".xlsx" else FileFormat.CSV,
                options={name: value for name, value in filters.items() if value},
            )
            with show_progress(self.stdout, f"Exporting to {path.name}") as progress:
                job = jobs.run(job, access, progress)
        except CrmError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        finally:
            access.flush()
        if job.status == JobStatus.FAILED:
            raise CommandError(f"{job.error}")
        path.write_bytes(jobs.result_file(job))
        self.stdout.write(summary(job))
