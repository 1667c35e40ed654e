"""Prove that this cell holds no data of another region; exit 1 and name each finding if it does.

Checks the BU schemas of the database, the personal-data tables of the shared schema, the
replication outbox and this cell's Celery queue (see crm.regions.residency). `--json` prints
the report as one JSON document for machines; the exit code is the same.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from crm.regions.residency import scan_cell


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--no-broker", action="store_true", help="Do not read this cell's Celery queue."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = scan_cell(check_broker=not options["no_broker"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            checked = ", ".join(f"{name} {count}" for name, count in report.checked.items())
            self.stdout.write(f"Residency scan of cell {report.region} ({report.seconds:.3f} s)")
            self.stdout.write(f"Checked: {checked}")
            for finding in report.findings:
                self.stdout.write(f"FOUND {finding.line()}")
            self.stdout.write("Clean." if report.clean else f"{len(report.findings)} finding(s).")
        if not report.clean:
            sys.exit(1)
