"""Contracts exist now: the default rule `contract-signed`, installed inactive in BUs made before
them, becomes active where the BU never changed it (its `updated_at` is still its
`created_at`). A BU that edited or deactivated it keeps its choice."""

from typing import Any

from django.db import migrations
from django.db.models import F


def activate(apps: Any, _schema_editor: Any) -> None:
    rule = apps.get_model("automation", "Rule")
    rule.objects.filter(
        default_code="contract-signed", active=False, updated_at=F("created_at")
    ).update(active=True)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0001_initial"),
        ("automation", "0001_initial"),
    ]

    operations = [migrations.RunPython(activate, migrations.RunPython.noop)]
