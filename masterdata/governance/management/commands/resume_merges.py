"""Re-send the BU redirect tasks of customer merges that are still pending in this cell."""

from typing import Any

from django.core.management.base import BaseCommand

from crm.masterdata.governance.merges import resume_merges


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        resumed = resume_merges()
        self.stdout.write(f"Resumed {len(resumed)} merge(s): {resumed}")
