"""`manage.py retention_run [--dry-run] [--group CODE]`: apply this cell's retention policies now.

With --dry-run nothing is changed: the report says, per business unit and kind of record, how
many contacts, leads and activities would be anonymized. Either way the run is stored and shows
in the `retentionRuns` query.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from crm.regions.privacy.retention import run_cell


class Command(BaseCommand):
    help = "Apply (or with --dry-run, report) the retention policies of this cell's region."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")
        parser.add_argument("--group", help="Only this group (its code).")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        runs = run_cell(
            dry_run=dry_run, triggered_by="retention_run command", group_code=options["group"]
        )
        verb = "would anonymize" if dry_run else "anonymized"
        self.stdout.write(f"region {settings.REGION}: {len(runs)} group(s)")
        for run in runs:
            self.stdout.write(f"group {run.group.code} (run {run.pk}):")
            for entry in run.report:
                self.stdout.write(
                    f"  {entry['business_unit']} {entry['record_type']} "
                    f"(>{entry['months']} months): {verb} {entry['contacts']} contacts, "
                    f"{entry['leads']} leads, {entry['activities']} activities"
                )
