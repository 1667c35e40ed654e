"""Automation rules of a business unit, their firings and notifications."""

from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "crm.tenants.automation"
    label = "automation"

    def ready(self) -> None:
        from crm.tenants import setup
        from crm.tenants.automation import access, tasks  # noqa: F401  (policy types, tasks)
        from crm.tenants.automation.defaults import install_default_rules

        setup.on_new_business_unit("automation.default_rules", install_default_rules)
