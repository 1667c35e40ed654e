"""Orders, invoices, credit notes and payments of a business unit (label `ledger`)."""

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "crm.tenants.ledger"
    label = "ledger"

    def ready(self) -> None:
        from crm.regions.federation.aggregates import receivables as aggregate
        from crm.tenants.ledger import access  # noqa: F401  (registers the policy's types)
        from crm.tenants.ledger.receivables import exposure_provider

        # The group-wide `receivables` aggregate (credit exposure) is computed from this BU's
        # open invoices and orders: this app is its provider in every cell.
        aggregate.set_provider(exposure_provider)
