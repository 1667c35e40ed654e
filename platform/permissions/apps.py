"""The permission engine: policy as data (role × scope × stage × field), audit of access."""

from django.apps import AppConfig


class PermissionsConfig(AppConfig):
    name = "crm.platform.permissions"
    label = "permissions"

    def ready(self) -> None:
        from crm.platform.permissions import access  # noqa: F401  (registers the policy's types)
