"""Automation rules of a business unit, their firings and notifications."""

from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "crm.tenants.automation"
    label = "automation"

    def ready(self) -> None:
        from crm.tenants.automation import access  # noqa: F401  (registers the policy's types)
