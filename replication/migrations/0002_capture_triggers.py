"""Capture and read-only triggers on every replicated table, then a snapshot of existing rows.

The snapshot gives the outbox the current rows of the groups homed in this cell (if any), so
that a database that already held data starts replicating from a complete state.
"""

from django.db import migrations


def install(apps, schema_editor):
    from crm.replication import sequencing, triggers

    triggers.install(schema_editor.connection)
    sequencing.snapshot()


def uninstall(apps, schema_editor):
    from crm.replication.registry import REPLICATED
    from crm.replication.triggers import TRIGGER_PREFIX

    with schema_editor.connection.cursor() as cursor:
        for item in REPLICATED:
            for suffix in ("ins", "upd", "del"):
                cursor.execute(
                    f'DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}_{suffix} ON public."{item.table}"'
                )
        cursor.execute("DROP FUNCTION IF EXISTS public.crm_replication_capture()")


class Migration(migrations.Migration):
    dependencies = [
        ("replication", "0001_initial"),
        ("regions", "0001_initial"),
        ("tenants", "0001_initial"),
        ("masterdata", "0010_exchange_rate_history"),
        ("customers", "0007_search_and_duplicate_keys"),
        ("salesconfig", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
