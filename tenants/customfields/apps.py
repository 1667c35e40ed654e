"""Fields a business unit adds to its records, and the fields it requires."""

from django.apps import AppConfig


class CustomFieldsConfig(AppConfig):
    name = "crm.tenants.customfields"
    label = "customfields"

    def ready(self) -> None:
        from crm.tenants.customfields import access  # noqa: F401  (registers the policy's types)
