"""The group's sales configuration: lead sources, pipeline templates, the win scorecard."""

from django.apps import AppConfig


class SalesConfigConfig(AppConfig):
    name = "crm.masterdata.sales"
    label = "salesconfig"

    def ready(self) -> None:
        from crm.masterdata.sales import access  # noqa: F401  (registers the policy's types)
        from crm.masterdata.sales.defaults import install_sales_setup
        from crm.tenants import setup

        setup.on_new_group("salesconfig.defaults", install_sales_setup)
