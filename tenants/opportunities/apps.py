"""Pipelines, deals, account teams and the win scorecard of a business unit."""

from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "crm.tenants.opportunities"
    label = "opportunities"

    def ready(self) -> None:
        from crm.tenants.opportunities import access  # noqa: F401  (registers the policy's types)
