"""What the import and export commands share: acting as a named user, showing progress."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from django.core.management.base import CommandError, CommandParser, OutputWrapper
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from crm.masterdata.transfer.jobs import Progress as OnProgress
from crm.masterdata.transfer.models import TransferJob
from crm.platform.accounts.actors import Actor, access_for
from crm.platform.accounts.models import User
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.tenants.models import BusinessUnit, BusinessUnitKind


def add_actor_arguments(parser: CommandParser) -> None:
    parser.add_argument("--group", required=True, help="The group's code.")
    parser.add_argument("--user", required=True, help="Act as this user (their roles apply).")
    parser.add_argument(
        "--business-unit", help="Act in this business unit (default: the group's HQ)."
    )


def command_access(options: dict[str, Any], command: str) -> Access:
    units = BusinessUnit.objects.filter(group__code=options["group"])
    if options.get("business_unit"):
        unit = units.filter(code=options["business_unit"]).first()
    else:
        unit = units.filter(kind=BusinessUnitKind.HEADQUARTERS).first()
    if unit is None:
        raise CommandError(
            "no such business unit (give --business-unit when the group has no headquarters)"
        )
    user = User.objects.filter(username=options["user"], group_id=unit.group_id).first()
    if user is None:
        raise CommandError(f"no user {options['user']!r} in group {options['group']!r}")
    try:
        return access_for(
            Actor(user_id=user.pk, api_key_id=None, business_unit_id=unit.pk),
            task=f"command:{command}",
        )
    except CrmError as error:
        raise CommandError(f"{error.code}: {error.message}") from None


@contextmanager
def show_progress(stdout: OutputWrapper, label: str) -> Iterator[OnProgress]:
    console = Console(file=cast(IO[str], stdout._out), highlight=False)
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=None)

        def update(job: TransferJob) -> None:
            bar.update(task, total=job.total_rows, completed=job.processed_rows)

        yield update


def summary(job: TransferJob) -> str:
    return (
        f"Job {job.pk} {job.status.lower()}: {job.processed_rows} rows, {job.created} created, "
        f"{job.updated} updated, {job.unchanged} unchanged, {job.failed} refused"
    )
