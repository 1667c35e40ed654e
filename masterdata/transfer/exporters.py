"""Exports in the import's own columns, so that an exported file imports back unchanged.

Only records the caller may export are written, and a cell whose field is hidden from the
caller for that record is left empty (as `graphql/core/exports.py` does for inline exports).
Options narrow the records: `country` and `status` for customers, `status` for materials,
`priceLists` (codes) for prices.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

from django.db.models import QuerySet
from modeltranslation.utils import build_localized_fieldname

from crm.masterdata.access import PRICE_LIST
from crm.masterdata.customers import identity
from crm.masterdata.customers.models import Customer, CustomerStatus
from crm.masterdata.models import Material, MaterialStatus, PriceList
from crm.masterdata.transfer.importers import IMPORTERS, Importer
from crm.masterdata.transfer.importers.base import language_columns
from crm.masterdata.transfer.models import Kind
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import ObjectType
from crm.platform.permissions.vocabulary import Action, FieldMode

OPTIONS: dict[str, tuple[str, ...]] = {
    Kind.CUSTOMERS: ("country", "status"),
    Kind.MATERIALS: ("status",),
    Kind.PRICE_LISTS: ("priceLists",),
}


class Exporter(ABC):
    importer: ClassVar[type[Importer]]

    def __init__(self, access: Access, options: dict[str, Any]) -> None:
        self.access = access
        self.options = {name: value for name, value in options.items() if value}
        self.group_id = access.business_unit.group_id

    @property
    def object_type(self) -> ObjectType:
        return self.importer.object_type

    def check_options(self) -> None:
        kind = next(kind for kind, importer in IMPORTERS.items() if importer is self.importer)
        for name in self.options:
            if name not in OPTIONS[kind]:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="filter",
                    reason=f"{name!r} does not apply to {kind.lower()}",
                )
        self.records()  # option values are checked as the query is built

    def header(self) -> list[str]:
        return self.importer.export_header()

    @abstractmethod
    def records(self) -> QuerySet[Any]:
        """The records to export, options applied, under the policy's view."""

    @abstractmethod
    def cells(self, record: Any) -> Iterator[dict[str, Any]]:
        """The record's row (or rows), by column."""

    def policy_field(self, column: str) -> str:
        return self.importer.columns.get(column, column)

    def rows(self) -> Iterator[list[Any]]:
        header = self.header()
        guarded = [self.policy_field(column) for column in header]
        for record in self.records().iterator(chunk_size=2000):
            permissions = self.access.on_record(self.object_type, record)
            if not permissions.allows(Action.EXPORT):
                continue
            shown = [permissions.mode(name) >= FieldMode.READ for name in guarded]
            for cells in self.cells(record):
                yield [
                    cells[column] if visible else None
                    for column, visible in zip(header, shown, strict=True)
                ]

    def _statuses(self, choices: Any) -> list[str]:
        given = self.options.get("status", [])
        values = [str(value).upper() for value in ([given] if isinstance(given, str) else given)]
        unknown = [value for value in values if value not in choices.values]
        if unknown:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="filter",
                reason=f"status {unknown[0]!r} is not one of {', '.join(choices.values)}",
            )
        return values


def _translations(record: Any, field: str) -> dict[str, str]:
    return {
        column: getattr(record, build_localized_fieldname(field, code)) or ""
        for column, code in language_columns(field).items()
    }


class CustomerExporter(Exporter):
    importer = IMPORTERS[Kind.CUSTOMERS]

    def records(self) -> QuerySet[Any]:
        records = Customer.objects.filter(group_id=self.group_id)
        if "country" in self.options:
            records = records.filter(country=identity.country_code(self.options["country"]))
        if "status" in self.options:
            records = records.filter(status__in=self._statuses(CustomerStatus))
        return (
            self.access.visible(self.object_type, records)
            .select_related("parent", "merged_into")
            .order_by("code")
        )

    def cells(self, record: Any) -> Iterator[dict[str, Any]]:
        customer: Customer = record
        plain = ("code", "legal_name", "country", "tax_id", "industry", "size", "classification")
        yield {
            **{name: getattr(customer, name) for name in plain},
            **_translations(customer, "trade_name"),
            "grade": customer.grade,
            "parent": customer.parent.code if customer.parent else "",
            "status": customer.status,
            "credit_limit": customer.credit_limit,
            "merged_into": customer.merged_into.code if customer.merged_into else "",
        }


class MaterialExporter(Exporter):
    importer = IMPORTERS[Kind.MATERIALS]

    def records(self) -> QuerySet[Any]:
        records = Material.objects.filter(group_id=self.group_id)
        if "status" in self.options:
            records = records.filter(status__in=self._statuses(MaterialStatus))
        return (
            self.access.visible(self.object_type, records)
            .select_related("category")
            .prefetch_related("local_codes__business_unit")
            .order_by("code")
        )

    def cells(self, record: Any) -> Iterator[dict[str, Any]]:
        material: Material = record
        yield {
            "code": material.code,
            "unit": material.unit,
            **_translations(material, "name"),
            **_translations(material, "description"),
            "category": material.category.code if material.category else "",
            "standard_cost": material.standard_cost,
            "local_codes": "; ".join(
                f"{entry.business_unit.code}={entry.code}"
                for entry in sorted(material.local_codes.all(), key=lambda e: e.business_unit.code)
            ),
            "status": material.status,
        }


class PriceItemExporter(Exporter):
    importer = IMPORTERS[Kind.PRICE_LISTS]

    def records(self) -> QuerySet[Any]:
        records = PriceList.objects.filter(group_id=self.group_id)
        if "priceLists" in self.options:
            records = records.filter(code__in=[str(c) for c in self.options["priceLists"]])
        return self.access.visible(PRICE_LIST, records).order_by("code")

    def cells(self, record: Any) -> Iterator[dict[str, Any]]:
        price_list: PriceList = record
        items = price_list.items.select_related("material").prefetch_related("breaks")
        for item in items.order_by("material__code"):
            row = {"price_list": price_list.code, "material": item.material.code}
            yield {**row, "min_quantity": "", "amount": item.amount}
            for price_break in item.breaks.all():
                yield {
                    **row,
                    "min_quantity": price_break.min_quantity,
                    "amount": price_break.amount,
                }


EXPORTERS: dict[str, type[Exporter]] = {
    Kind.CUSTOMERS: CustomerExporter,
    Kind.MATERIALS: MaterialExporter,
    Kind.PRICE_LISTS: PriceItemExporter,
}


def exporter_for(kind: str, access: Access, options: dict[str, Any]) -> Exporter:
    return EXPORTERS[kind](access, options)
