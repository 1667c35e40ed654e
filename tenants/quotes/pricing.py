"""Pricing a quote's lines: price resolution, discounts, taxes, cost and margin, one rounding rule.

For all lines at once, in a fixed number of queries whatever their count: the materials (one,
filtered by what the caller may view), the price resolution of #4 (lists, items, breaks and at
most one exchange rate), the tax rates valid on the day (one), the material tree (one, only
when a rate is per category) and at most one rate for converting standard costs.

Rounding (the one rule of `crm.platform.core.money.round_money`: the currency's minor units,
half up) is applied **per line, then summed**:

- unit price: as the price resolution gives it (already rounded to minor units; a converted
  price is the list price times the rate, rounded once);
- list amount = round(unit price × quantity);
- net = round(unit price × quantity × (1 − line discount) × (1 − quote discount));
- tax = round(net × tax rate); gross = net + tax;
- cost = round(standard cost × rate group→quote currency × quantity); margin = net − cost.

The quote's net, tax and gross totals are the exact sums of its lines' rounded amounts, so the
printed lines always add up to the printed totals (a rounding difference is never hidden in
a total). For JPY (no minor unit) every amount is whole yen.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from moneyed import Money

from crm.masterdata import fx
from crm.masterdata.access import MATERIAL
from crm.masterdata.models import Material, MaterialCategory
from crm.masterdata.prices import ResolvedPrice, resolve_prices
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import round_money
from crm.platform.permissions.engine import Access
from crm.tenants.quotes.models import QuoteLine, TaxRate

MAX_LINES = 500
HUNDRED = Decimal(100)
MAX_QUANTITY = Decimal(10) ** 11


@dataclass(frozen=True)
class LineInput:
    """What a line asks for: a material, a quantity, its discount (%) and, optionally, the
    code of the tax rate to apply."""

    material_id: int
    quantity: Decimal
    discount: Decimal = Decimal(0)
    tax_code: str = ""


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    cost: Decimal | None
    margin: Decimal | None
    max_discount: Decimal


def rounded(amount: Decimal, currency: str) -> Decimal:
    """`amount` at `currency`'s minor units, by the project's one rule."""
    value: Decimal = round_money(Money(amount, currency)).amount
    return value


def check_discount(value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or not 0 <= value < HUNDRED:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason="a percentage from 0 to 99.99"
        )
    if value != value.quantize(Decimal("0.01")):
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason="at most 2 decimal places")
    return value


def _check(inputs: Sequence[LineInput]) -> None:
    if not 0 < len(inputs) <= MAX_LINES:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="lines", reason=f"1 to {MAX_LINES} lines")
    for index, line in enumerate(inputs):
        quantity = line.quantity
        if not (quantity.is_finite() and 0 < quantity < MAX_QUANTITY) or quantity != round(
            quantity, 3
        ):
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field=f"lines.{index}.quantity",
                reason="above 0, at most 3 decimal places",
            )
        check_discount(line.discount, f"lines.{index}.discount")


def effective_discount(line_discount: Decimal, header_discount: Decimal) -> Decimal:
    """Line and quote discount together, in % (3 decimal places)."""
    kept = (1 - line_discount / HUNDRED) * (1 - header_discount / HUNDRED)
    return ((1 - kept) * HUNDRED).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def _rates_on(on: datetime.date) -> list[TaxRate]:
    return list(
        TaxRate.objects.filter(valid_from__lte=on)
        .exclude(valid_to__lt=on)
        .order_by("-valid_from", "code")
    )


def _parents(group_id: int, rates: Iterable[TaxRate]) -> dict[int, int | None]:
    if not any(rate.material_category_id for rate in rates):
        return {}
    return dict(MaterialCategory.objects.filter(group_id=group_id).values_list("id", "parent_id"))


def choose_tax(
    rates: Sequence[TaxRate],
    parents: dict[int, int | None],
    *,
    category_id: int | None,
    code: str,
) -> TaxRate | None:
    """The rate a line takes (see `TaxRate`): by code; else by category, nearest first;
    else the default."""
    if code:
        return next((rate for rate in rates if rate.code == code), None)
    by_category = {rate.material_category_id: rate for rate in reversed(rates)}
    seen: set[int] = set()
    current = category_id
    while current is not None and current not in seen:
        seen.add(current)
        if current in by_category:
            return by_category[current]
        current = parents.get(current)
    return next((rate for rate in rates if rate.is_default), None)


def _cost_rate(
    access: Access,
    materials: Iterable[Material],
    currency: str,
    on: datetime.date,
    resolved: Iterable[ResolvedPrice | CrmError],
) -> Decimal | None:
    """The rate from the group currency (standard costs) to the quote's, if any is needed: the
    one the price resolution already used for a group-currency list, else looked up."""
    group = access.business_unit.group
    if not any(m.standard_cost is not None for m in materials):
        return None
    if group.currency == currency:
        return Decimal(1)
    for price in resolved:
        conversion = price.conversion if isinstance(price, ResolvedPrice) else None
        if conversion is not None and conversion.rate.base == group.currency:
            return conversion.rate.rate
    try:
        return fx.rate_for(group=group, base=group.currency, quote=currency, on=on).rate
    except CrmError:
        return None  # no margin rather than a margin on a guessed rate


def _resolved(
    resolved: dict[int, ResolvedPrice | CrmError], material: Material, quantity: Decimal, index: int
) -> ResolvedPrice:
    outcome = resolved[material.pk]
    if isinstance(outcome, CrmError):
        outcome.field = f"lines.{index}.material"
        outcome.params["material"] = material.code
        raise outcome
    return outcome.at(quantity)


def price_lines(
    *,
    access: Access,
    on: datetime.date,
    currency: str,
    header_discount: Decimal,
    inputs: Sequence[LineInput],
) -> list[QuoteLine]:
    """Unsaved, priced lines for `inputs` (positions from 1), or a typed error naming the line:
    NOT_FOUND (a material the caller may not view), PRICE_NOT_FOUND, RATE_NOT_FOUND,
    TAX_RATE_NOT_FOUND, INVALID_ARGUMENT."""
    _check(inputs)
    business_unit = access.business_unit
    ids = [line.material_id for line in inputs]
    materials = {
        m.pk: m
        for m in access.visible(
            MATERIAL,
            Material.objects.filter(group_id=business_unit.group_id, pk__in=ids).only(
                "pk", "code", "unit", "category_id", "standard_cost", "status", "group_id"
            ),
        )
    }
    for index, line in enumerate(inputs):
        if line.material_id not in materials:
            raise CrmError(
                ErrorCode.NOT_FOUND,
                field=f"lines.{index}.material",
                object="material",
                id=line.material_id,
            )
    resolved = resolve_prices(
        business_unit=business_unit, material_ids=ids, on=on, with_breaks=True, currency=currency
    )
    rates = _rates_on(on)
    parents = _parents(business_unit.group_id, rates)
    cost_rate = _cost_rate(access, materials.values(), currency, on, resolved.values())
    lines = []
    for index, line in enumerate(inputs):
        material = materials[line.material_id]
        price = _resolved(resolved, material, line.quantity, index)
        tax = choose_tax(rates, parents, category_id=material.category_id, code=line.tax_code)
        if tax is None:
            raise CrmError(
                ErrorCode.TAX_RATE_NOT_FOUND,
                field=f"lines.{index}.taxCode" if line.tax_code else f"lines.{index}.material",
                tax=line.tax_code or "-",
                date=on.isoformat(),
                material=material.code,
            )
        lines.append(
            priced_line(
                position=index + 1,
                material=material,
                price=price,
                line=line,
                header_discount=header_discount,
                tax=tax,
                cost_rate=cost_rate,
                currency=currency,
            )
        )
    return lines


def priced_line(
    *,
    position: int,
    material: Material,
    price: ResolvedPrice,
    line: LineInput,
    header_discount: Decimal,
    tax: TaxRate,
    cost_rate: Decimal | None,
    currency: str,
) -> QuoteLine:
    unit_price = price.price.amount
    conversion = price.conversion
    record = QuoteLine(
        position=position,
        material_id=material.pk,
        material_code=material.code,
        unit=material.unit,
        quantity=line.quantity,
        unit_price=unit_price,
        price_list_code=price.price_list_code,
        source_amount=price.source.amount,
        source_currency=price.source.currency.code,
        fx_rate=conversion.rate.rate if conversion else None,
        fx_rate_date=conversion.rate.date if conversion else None,
        fx_rate_type=conversion.rate.rate_type if conversion else "",
        break_from=price.break_from,
        discount=line.discount,
        tax_code=tax.code,
        tax_rate=tax.rate,
    )
    reprice(record, header_discount=header_discount, currency=currency)
    if cost_rate is not None and material.standard_cost is not None:
        record.unit_cost = (material.standard_cost * cost_rate).quantize(Decimal("0.0001"))
        record.cost_amount = rounded(material.standard_cost * cost_rate * line.quantity, currency)
        record.margin_amount = record.net_amount - record.cost_amount
    return record


def reprice(line: QuoteLine, *, header_discount: Decimal, currency: str) -> None:
    """The line's amounts from its unit price, quantity, discounts and tax rate (after the
    quote's discount changed, too)."""
    gross_list = line.unit_price * line.quantity
    kept = (1 - line.discount / HUNDRED) * (1 - header_discount / HUNDRED)
    line.effective_discount = effective_discount(line.discount, header_discount)
    line.list_amount = rounded(gross_list, currency)
    line.net_amount = rounded(gross_list * kept, currency)
    line.tax_amount = rounded(line.net_amount * line.tax_rate / HUNDRED, currency)
    line.gross_amount = line.net_amount + line.tax_amount
    if line.cost_amount is not None:
        line.margin_amount = line.net_amount - line.cost_amount


def totals(lines: Sequence[QuoteLine]) -> Totals:
    """The quote's totals: sums of the lines' rounded amounts (cost and margin null when a line
    has no standard cost)."""
    costs = [line.cost_amount for line in lines]
    known = all(cost is not None for cost in costs) and bool(lines)
    net = sum((line.net_amount for line in lines), Decimal(0))
    cost = sum((c for c in costs if c is not None), Decimal(0)) if known else None
    return Totals(
        net=net,
        tax=sum((line.tax_amount for line in lines), Decimal(0)),
        gross=sum((line.gross_amount for line in lines), Decimal(0)),
        cost=cost,
        margin=net - cost if cost is not None else None,
        max_discount=max((line.effective_discount for line in lines), default=Decimal(0)),
    )
