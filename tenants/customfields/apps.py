"""Fields a business unit adds to its records, and the fields it requires."""

from django.apps import AppConfig


class CustomFieldsConfig(AppConfig):
    name = "crm.tenants.customfields"
    label = "customfields"

    def ready(self) -> None:
        from crm.tenants.customfields import access  # noqa: F401  (registers the policy's types)
        from crm.tenants.customfields.indexes import install_indexes
        from crm.tenants.setup import on_new_business_unit

        # Repairs range indexes a lost task message left missing or orphaned (idempotent).
        on_new_business_unit("customfields.indexes", install_indexes)
