"""Which price applies to a business unit for a material on a day.

Resolution, for the BU's functional currency: a BU-scope list, then a region-scope list (the
BU's home region), then a group-scope list; if none of them is in the BU's currency, the
group-scope list in the group currency converted at that day's spot rate, with the conversion
shown. Resolution is done for many materials at once, in a fixed number of queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Q
from moneyed import Money

from crm.masterdata import fx
from crm.masterdata.models import (
    PriceBreak,
    PriceList,
    PriceListItem,
    PriceListStatus,
    PriceScope,
)
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import round_money
from crm.tenants.models import BusinessUnit

_SCOPE_RANK = {PriceScope.BUSINESS_UNIT: 0, PriceScope.REGION: 1, PriceScope.GROUP: 2}


@dataclass(frozen=True)
class ResolvedPrice:
    material_id: int
    price: Money  # in the BU's (or the asked) currency, rounded to its minor units
    price_list_code: str
    source: Money  # as written on the price list (the break's amount when one applies)
    conversion: fx.Conversion | None  # set when the list was in another currency
    break_from: Decimal | None = None  # the quantity break applied, if any
    # The item's volume prices (from quantity, amount in the list's currency), if asked for.
    breaks: tuple[tuple[Decimal, Decimal], ...] = ()

    def at(self, quantity: Decimal) -> ResolvedPrice:
        """The unit price for `quantity`: the largest break it reaches, converted alike."""
        reached = [(start, amount) for start, amount in self.breaks if start <= quantity]
        if not reached:
            return self
        start, amount = reached[-1]
        source = Money(amount, self.source.currency)
        conversion = None
        if self.conversion is not None:
            rate = self.conversion.rate
            conversion = fx.Conversion(
                source=source,
                result=Money(amount * rate.rate, self.price.currency),
                rate=rate,
            )
        return replace(
            self,
            price=round_money(conversion.result if conversion else source),
            source=source,
            conversion=conversion,
            break_from=start,
        )


def _applicable_lists(bu: BusinessUnit, on: datetime.date) -> list[PriceList]:
    scope = PriceList.applying_to(bu) & Q(status=PriceListStatus.ACTIVE)
    window = Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    currencies = {bu.currency, bu.group.currency}
    lists = PriceList.objects.filter(scope, window, group_id=bu.group_id, currency__in=currencies)
    return sorted(
        lists,
        key=lambda pl: (pl.currency != bu.currency, _SCOPE_RANK[PriceScope(pl.scope)], -pl.pk),
    )


def _breaks_of(items: Iterable[PriceListItem]) -> dict[int, tuple[tuple[Decimal, Decimal], ...]]:
    """Each item's volume prices, ascending by quantity, in one query."""
    found: dict[int, list[tuple[Decimal, Decimal]]] = {}
    for price_break in PriceBreak.objects.filter(item__in=list(items)).order_by("min_quantity"):
        found.setdefault(price_break.item_id, []).append(
            (price_break.min_quantity, price_break.amount)
        )
    return {item_id: tuple(breaks) for item_id, breaks in found.items()}


def resolve_prices(
    *,
    business_unit: BusinessUnit,
    material_ids: Iterable[int],
    on: datetime.date,
    with_breaks: bool = False,
    currency: str | None = None,
) -> dict[int, ResolvedPrice | CrmError]:
    """The unit price of each material for `business_unit` on `on` for a quantity of 1; a
    typed error where none is. `with_breaks` adds the volume prices, for `ResolvedPrice.at`.
    Prices are in `currency` (default: the BU's), converted from the list's at `on`'s rate."""

    ids = list(dict.fromkeys(material_ids))
    lists = _applicable_lists(business_unit, on)
    rank = {pl.pk: index for index, pl in enumerate(lists)}
    best: dict[int, PriceListItem] = {}
    items = PriceListItem.objects.filter(
        price_list_id__in=rank, material_id__in=ids
    ).select_related("material")
    for item in items:
        current = best.get(item.material_id)
        if current is None or rank[item.price_list_id] < rank[current.price_list_id]:
            best[item.material_id] = item
    breaks = _breaks_of(best.values()) if with_breaks else {}
    by_id = {pl.pk: pl for pl in lists}
    target = currency or business_unit.currency
    rates: dict[str, fx.Rate | CrmError] = {}
    result: dict[int, ResolvedPrice | CrmError] = {}
    for material_id in ids:
        chosen = best.get(material_id)
        if chosen is None:
            result[material_id] = CrmError(
                ErrorCode.PRICE_NOT_FOUND, material=material_id, date=on.isoformat()
            )
            continue
        price_list = by_id[chosen.price_list_id]
        source = Money(chosen.amount, price_list.currency)
        conversion = None
        if price_list.currency != target:
            if price_list.currency not in rates:
                try:
                    rates[price_list.currency] = fx.rate_for(
                        group=business_unit.group, base=price_list.currency, quote=target, on=on
                    )
                except CrmError as error:
                    rates[price_list.currency] = error
            conversion_rate = rates[price_list.currency]
            if isinstance(conversion_rate, CrmError):
                result[material_id] = conversion_rate
                continue
            conversion = fx.Conversion(
                source=source,
                result=Money(source.amount * conversion_rate.rate, target),
                rate=conversion_rate,
            )
        price = round_money(conversion.result if conversion else source)
        result[material_id] = ResolvedPrice(
            material_id=material_id,
            price=price,
            price_list_code=price_list.code,
            source=source,
            conversion=conversion,
            breaks=breaks.get(chosen.pk, ()),
        )
    return result
