"""Contacts (personal data), activities and tasks of a business unit."""

from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "crm.tenants.contacts"
    label = "contacts"

    def ready(self) -> None:
        from crm.tenants.contacts import access  # noqa: F401  (registers the policy's types)
