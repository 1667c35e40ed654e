"""Contracts from accepted quotes: approval flows as data, delegation, signing, payment plans."""

from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "crm.tenants.contracts"
    label = "contracts"

    def ready(self) -> None:
        from crm.tenants.contracts import access  # noqa: F401  (registers the policy's types)
