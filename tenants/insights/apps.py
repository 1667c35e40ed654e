"""The BU's dashboards (label `insights`): no models of their own, only the policy's type."""

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "crm.tenants.insights"
    label = "insights"

    def ready(self) -> None:
        from crm.tenants.insights import access  # noqa: F401  (registers the policy's type)
