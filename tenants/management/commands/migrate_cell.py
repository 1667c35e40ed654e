"""Migrate this cell: the shared schema, the template schema, and every local BU schema."""

from typing import Any

from django.core.management.base import BaseCommand

from crm.tenants.provisioning import migrate_cell


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        done = migrate_cell(verbosity=max(0, options["verbosity"] - 1))
        self.stdout.write(f"Migrated shared, template and {len(done)} business unit schema(s).")
