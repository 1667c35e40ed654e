"""A business unit's own view of golden customers, kept in the BU's schema."""

from django.apps import AppConfig


class LocalCustomersConfig(AppConfig):
    name = "crm.tenants.localcustomers"
    label = "localcustomers"

    def ready(self) -> None:
        from crm.tenants.localcustomers import access  # noqa: F401  (registers the policy type)
