"""Pipelines, deals, account teams and the win scorecard of a business unit."""

from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "crm.tenants.opportunities"
    label = "opportunities"

    def ready(self) -> None:
        from crm.tenants import setup
        from crm.tenants.opportunities import access  # noqa: F401  (registers the policy's types)
        from crm.tenants.opportunities.setup import install_default_pipeline

        setup.on_new_business_unit("opportunities.default_pipeline", install_default_pipeline)
