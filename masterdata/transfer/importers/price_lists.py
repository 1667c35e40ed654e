"""Importing prices onto HQ price lists: one row per list, material and quantity.

Columns: price_list (code), material (code), amount, and min_quantity: empty or 1 for the
material's price on the list, above 1 for a volume break (the price from that quantity on).
The lists exist already (their currency, scope and window are set by `priceListCreate`); each
must be editable by the caller in its stage. A break needs its material's price on the list,
from an earlier row or from before. Breaks not in the file stay as they are.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from crm.masterdata.access import MATERIAL, PRICE_LIST
from crm.masterdata.models import Material, PriceBreak, PriceList, PriceListItem
from crm.masterdata.price_lists import no_overlap
from crm.masterdata.transfer.importers.base import Importer, Outcome, decimal_cell
from crm.masterdata.transfer.tables import Row
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import AMOUNT_RULE, valid_amount
from crm.platform.permissions.vocabulary import Action

ONE = Decimal(1)


class PriceItemImporter(Importer):
    object_type = PRICE_LIST
    columns: ClassVar[dict[str, str]] = {
        "price_list": "items",
        "material": "items",
        "min_quantity": "items",
        "amount": "items",
    }
    required = ("price_list", "material", "amount")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.refusals: dict[int, CrmError | None] = {}  # per list: why it may not be edited

    def key_of(self, cells: dict[str, str]) -> str:
        quantity = cells.get("min_quantity") or "1"
        return f"{cells['price_list']} / {cells['material']} / {quantity}"

    def _editable(self, price_list: PriceList) -> None:
        if price_list.pk not in self.refusals:
            try:
                self.access.require(Action.EDIT, price_list, ["items"])
                self.refusals[price_list.pk] = None
            except CrmError as error:
                self.refusals[price_list.pk] = error
        refusal = self.refusals[price_list.pk]
        if refusal is not None:
            raise refusal

    def import_chunk(self, rows: list[Row], outcome: Outcome) -> None:
        lists = {
            p.code: p
            for p in self.access.visible(
                PRICE_LIST,
                PriceList.objects.filter(
                    group_id=self.group_id, code__in={c["price_list"] for _l, c in rows}
                ),
            )
        }
        materials = {
            m.code: m
            for m in self.access.visible(
                MATERIAL,
                Material.objects.filter(
                    group_id=self.group_id, code__in={c["material"] for _l, c in rows}
                ),
            )
        }
        items = {
            (item.price_list_id, item.material_id): item
            for item in PriceListItem.objects.filter(
                price_list__in=list(lists.values()), material__in=list(materials.values())
            )
        }
        breaks = {
            (b.item_id, b.min_quantity): b
            for b in PriceBreak.objects.filter(item__in=list(items.values()))
        }
        for line, cells in rows:
            column = "price_list"
            try:
                self.first_use(cells, line)
                price_list = lists.get(cells["price_list"])
                if price_list is None:
                    raise CrmError(
                        ErrorCode.NOT_FOUND,
                        field="price_list",
                        object=PRICE_LIST.name,
                        id=cells["price_list"],
                    )
                self._editable(price_list)
                column = "material"
                material = materials.get(cells["material"])
                if material is None:
                    raise CrmError(
                        ErrorCode.NOT_FOUND,
                        field="material",
                        object=MATERIAL.name,
                        id=cells["material"],
                    )
                column = "min_quantity"
                quantity = self._quantity(cells.get("min_quantity", ""))
                column = "amount"
                amount = decimal_cell(cells["amount"], column) if cells["amount"] else None
                if amount is None or not valid_amount(amount):
                    raise CrmError(ErrorCode.INVALID_ARGUMENT, field="amount", reason=AMOUNT_RULE)
                key = (price_list.pk, material.pk)
                if quantity == ONE:
                    column = "material"
                    self._price(price_list, material, amount, items, key, outcome)
                else:
                    column = "min_quantity"
                    item = items.get(key)
                    if item is None:
                        raise CrmError(
                            ErrorCode.INVALID_ARGUMENT,
                            field="min_quantity",
                            reason="a break needs the material's price on the list first",
                        )
                    self._break(item, quantity, amount, breaks, outcome)
            except CrmError as error:
                outcome.fail(line, column, error)

    @staticmethod
    def _quantity(value: str) -> Decimal:
        if not value:
            return ONE
        quantity = decimal_cell(value, "min_quantity")
        if quantity != ONE and not (1 < quantity < 10**15):
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="min_quantity", reason="1, or a break above 1"
            )
        return quantity

    @staticmethod
    def _price(
        price_list: PriceList,
        material: Material,
        amount: Decimal,
        items: dict[tuple[int, int], PriceListItem],
        key: tuple[int, int],
        outcome: Outcome,
    ) -> None:
        item = items.get(key)
        if item is not None and item.amount == amount:
            outcome.unchanged += 1
            return
        if item is None:
            item = PriceListItem(price_list=price_list, material=material, amount=amount)
            with no_overlap(price_list.pk, "items", material.code):
                item.save()
            items[key] = item
            outcome.created += 1
            return
        item.amount = amount
        item.save(update_fields=["amount"])
        outcome.updated += 1

    @staticmethod
    def _break(
        item: PriceListItem,
        quantity: Decimal,
        amount: Decimal,
        breaks: dict[tuple[int, Decimal], PriceBreak],
        outcome: Outcome,
    ) -> None:
        found = breaks.get((item.pk, quantity))
        if found is not None and found.amount == amount:
            outcome.unchanged += 1
        elif found is not None:
            found.amount = amount
            found.save(update_fields=["amount"])
            outcome.updated += 1
        else:
            breaks[(item.pk, quantity)] = PriceBreak.objects.create(
                item=item, min_quantity=quantity, amount=amount
            )
            outcome.created += 1
