"""Golden customer records of a group: company-level data only, de-duplicated, governed by HQ."""

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "crm.masterdata.customers"
    label = "customers"

    def ready(self) -> None:
        from crm.masterdata.customers import access  # noqa: F401  (registers the policy type)
