"""Group master data governed by HQ: materials, price lists, exchange rates."""

from django.apps import AppConfig


class MasterdataConfig(AppConfig):
    name = "crm.masterdata"
    label = "masterdata"

    def ready(self) -> None:
        from crm.masterdata import access  # noqa: F401  (registers the policy's types)
