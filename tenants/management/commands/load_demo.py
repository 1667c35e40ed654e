"""Load (or refresh) the demo group into this cell."""

from typing import Any

from django.core.management.base import BaseCommand

from crm.infra.demo import describe, load_demo


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        load_demo()
        self.stdout.write(describe())
