"""Cross-cutting building blocks: model placement, typed errors."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crm.platform.core"
    label = "core"
