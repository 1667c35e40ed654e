"""Import and export of master data (customers, materials, price lists) as CSV or XLSX."""

from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "crm.masterdata.transfer"
    label = "transfer"

    def ready(self) -> None:
        from crm.masterdata.transfer import access  # noqa: F401  (registers the policy type)
