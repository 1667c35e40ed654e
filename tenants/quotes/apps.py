"""Quotes of a business unit: priced from the group's price lists, taxed, versioned, printable."""

from django.apps import AppConfig


class QuotesConfig(AppConfig):
    name = "crm.tenants.quotes"
    label = "quotes"

    def ready(self) -> None:
        from crm.tenants.quotes import access  # noqa: F401  (registers the policy's types)
