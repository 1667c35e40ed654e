"""The group's sales configuration: lead sources, pipeline templates, the win scorecard."""

from django.apps import AppConfig


class SalesConfigConfig(AppConfig):
    name = "crm.masterdata.sales"
    label = "salesconfig"

    def ready(self) -> None:
        from crm.masterdata.sales import access  # noqa: F401  (registers the policy's types)
