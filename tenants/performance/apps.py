"""Targets and sales dashboards of a business unit (label `performance`)."""

from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "crm.tenants.performance"
    label = "performance"

    def ready(self) -> None:
        from crm.tenants.performance import access  # noqa: F401  (registers the policy's types)
