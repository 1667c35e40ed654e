"""Move a business unit to another region's cell: schedule it, run it now, or resume it.

    manage.py move_business_unit acme.de ap                 # schedule now; the worker runs it
    manage.py move_business_unit acme.de ap --at 2026-07-01T02:00+00:00
    manage.py move_business_unit acme.de ap --run           # schedule and run here, now
    manage.py move_business_unit --resume 12                # go on after a failure

Run in the cell that holds the business unit (its current home). Exits 1 if the move failed;
its log and error say at which step and why (see crm.regions.moves.runner).
"""

from __future__ import annotations

import datetime
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from crm.platform.core.errors import CrmError
from crm.regions.models import MoveStatus, RegionMove
from crm.regions.moves.runner import resume_move, run_move, schedule_move
from crm.tenants.models import BusinessUnit


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("business_unit", nargs="?", help="<group>.<BU>, e.g. acme.de")
        parser.add_argument("region", nargs="?", help="The target region's code.")
        parser.add_argument("--at", help="When to start (ISO 8601 with a UTC offset).")
        parser.add_argument("--run", action="store_true", help="Run the move now, here.")
        parser.add_argument("--resume", type=int, metavar="ID", help="Resume move ID.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["resume"] is not None:
            self._report(resume_move(options["resume"]))
            return
        if not options["business_unit"] or not options["region"]:
            raise CommandError("Give a business unit and a region, or --resume ID.")
        group_code, _dot, code = options["business_unit"].partition(".")
        business_unit = (
            BusinessUnit.objects.select_related("group", "region")
            .filter(group__code=group_code, code=code)
            .first()
        )
        if business_unit is None:
            raise CommandError(f"No business unit {options['business_unit']}.")
        at: datetime.datetime | None = None
        if options["at"]:
            at = parse_datetime(options["at"])
            if at is None or at.tzinfo is None:
                raise CommandError("--at needs an ISO 8601 time with a UTC offset.")
        try:
            move = schedule_move(business_unit=business_unit, to_region=options["region"], at=at)
        except CrmError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Move {move.pk} of {business_unit.handle} to {move.target_region_id} "
            f"scheduled for {move.scheduled_at.isoformat()}."
        )
        if options["run"]:
            self._report(run_move(move.pk))

    def _report(self, move: RegionMove) -> None:
        for entry in move.log:
            self.stdout.write(
                f"  {entry['step']:<8} {entry['outcome']:<6} {entry['seconds']:>8.3f} s  "
                f"{entry['detail']}"
            )
        self.stdout.write(f"Move {move.pk}: {move.status}, next step {move.step}.")
        if move.status == MoveStatus.FAILED:
            self.stderr.write(f"Failed at {move.error.get('step')}: {move.error.get('message')}")
            sys.exit(1)
