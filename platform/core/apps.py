"""Cross-cutting building blocks: model placement, typed errors."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crm.platform.core"
    label = "core"

    def ready(self) -> None:
        # django-pgtrigger teaches Django's makemigrations and migrate about triggers, but
        # django-tenants replaces `migrate` with its own command; give that one the same
        # autodetector, so migrations see trigger changes and Django's check agrees.
        from django.core.management.commands import makemigrations
        from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
        from pgtrigger.apps import patch_migrations

        patch_migrations()  # type: ignore[no-untyped-call]
        MigrateSchemasCommand.autodetector = makemigrations.Command.autodetector
