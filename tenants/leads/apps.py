"""Lead pool, campaigns, tagging and assignment rules of a business unit."""

from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "crm.tenants.leads"
    label = "leads"

    def ready(self) -> None:
        from crm.tenants.leads import access  # noqa: F401  (registers the policy's types)
