"""One importer per kind of master data; `importer_for` picks it."""

from __future__ import annotations

from crm.masterdata.transfer.importers.base import Importer, Outcome
from crm.masterdata.transfer.importers.customers import CustomerImporter
from crm.masterdata.transfer.importers.materials import MaterialImporter
from crm.masterdata.transfer.importers.price_lists import PriceItemImporter
from crm.masterdata.transfer.models import Kind
from crm.platform.permissions.engine import Access

IMPORTERS: dict[str, type[Importer]] = {
    Kind.CUSTOMERS: CustomerImporter,
    Kind.MATERIALS: MaterialImporter,
    Kind.PRICE_LISTS: PriceItemImporter,
}


def importer_for(kind: str, access: Access) -> Importer:
    return IMPORTERS[kind](access)


__all__ = ["IMPORTERS", "Importer", "Outcome", "importer_for"]
