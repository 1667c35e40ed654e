"""Master-data governance: BUs propose changes to golden records, HQ stewards decide."""

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "crm.masterdata.governance"
    label = "governance"

    def ready(self) -> None:
        from crm.masterdata.governance import access  # noqa: F401  (registers the policy type)
