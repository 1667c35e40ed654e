"""Credit control's tests make orders with the ledger's helpers: the BUs' tax rates with them."""

from crm.tests.ledger.conftest import ledger_tax_rates

__all__ = ["ledger_tax_rates"]
