"""Groups (SaaS customers) and their business units, the tenants."""

from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "crm.tenants"
    label = "tenants"
