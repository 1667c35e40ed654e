"""Push this cell's master-data changes to the other cells now, and say how far each got.

`--snapshot GROUP` first puts every current row of that group (homed here) in the outbox, e.g.
for a cell that joins after the outbox was pruned. `--force` ignores back-off.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.replication.sequencing import snapshot
from crm.replication.transport import push
from crm.tenants.models import Group


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Ignore back-off.")
        parser.add_argument("--snapshot", metavar="GROUP", help="Group code to snapshot first.")
        parser.add_argument("--budget", type=float, default=120.0, help="Seconds at most.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["snapshot"]:
            group = Group.objects.filter(code=options["snapshot"]).first()
            if group is None:
                raise CommandError(f"no group {options['snapshot']!r}")
            count = snapshot([group.pk])
            self.stdout.write(f"snapshot of {group.code}: {count} entries")
        failed = False
        for result in push(budget=options["budget"], force=options["force"]):
            line = (
                f"group {result.group_id} -> {result.target}: acknowledged "
                f"{result.acknowledged}/{result.head} in {result.batches} batch(es)"
            )
            if result.error:
                failed = True
                line += f" FAILED: {result.error}"
            self.stdout.write(line)
        if failed:
            raise CommandError("some cells could not be reached; they will be retried")
