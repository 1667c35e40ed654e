"""A business unit's price book: today's resolved prices, kept in the BU's own schema."""

from django.apps import AppConfig


class PricebookConfig(AppConfig):
    name = "crm.tenants.pricebook"
    label = "pricebook"
