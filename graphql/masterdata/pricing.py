"""`priceQuote`: unit prices and line totals for quantities of materials, for a BU on a day.

One resolution for all lines, in a fixed number of queries: the price lists, their items, the
quantity breaks and at most one exchange rate. Unit prices are rounded to the BU currency's
minor unit first; a line total is that unit price times the quantity, rounded again (one rule).
A line that cannot be priced carries its own typed error; the others are still priced.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene
from moneyed import Money as MoneyValue

from crm.graphql.core.errors import Error, graphql_error
from crm.graphql.core.permissions import caller
from crm.graphql.core.types import Conversion, Money
from crm.masterdata.access import MATERIAL
from crm.masterdata.models import Material
from crm.masterdata.prices import ResolvedPrice, resolve_prices
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import round_money
from crm.platform.permissions.vocabulary import Action

MAX_LINES = 200


class QuoteLineInput(graphene.InputObjectType):
    material_code = graphene.String(required=True)
    quantity = graphene.Decimal(required=True)


class QuoteLine(graphene.ObjectType):
    material_code = graphene.String(required=True)
    quantity = graphene.Decimal(required=True)
    unit_price = graphene.Field(Money)
    line_total = graphene.Field(Money)
    price_list = graphene.String()
    break_from = graphene.Decimal(description="The volume break applied, from this quantity.")
    conversion = graphene.Field(Conversion)
    error = graphene.Field(Error, description="Why this line has no price.")


class PriceQuote(graphene.ObjectType):
    currency = graphene.String(required=True)
    on = graphene.Date(required=True)
    lines = graphene.List(graphene.NonNull(QuoteLine), required=True)
    total = graphene.Field(Money, description="Of the priced lines; null if any line failed.")


def _line(code: str, quantity: Decimal, resolved: ResolvedPrice | CrmError) -> QuoteLine:
    if isinstance(resolved, CrmError):
        resolved.params.setdefault("material", code)
        error = Error(field="lines", code=resolved.code.value, message=resolved.message)
        return QuoteLine(material_code=code, quantity=quantity, error=error)
    unit = resolved.price
    return QuoteLine(
        material_code=code,
        quantity=quantity,
        unit_price=unit,
        line_total=round_money(MoneyValue(unit.amount * quantity, unit.currency)),
        price_list=resolved.price_list_code,
        break_from=resolved.break_from,
        conversion=resolved.conversion,
    )


class PricingQueries(graphene.ObjectType):
    price_quote = graphene.Field(
        PriceQuote,
        lines=graphene.List(graphene.NonNull(QuoteLineInput), required=True),
        on=graphene.Date(description="Default: today where the business unit is."),
        description=f"Prices for up to {MAX_LINES} lines, in this business unit's currency.",
    )

    @staticmethod
    def resolve_price_quote(
        _root: None,
        info: graphene.ResolveInfo,
        lines: list[dict[str, Any]],
        on: datetime.date | None = None,
    ) -> PriceQuote:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, MATERIAL)
            access.require_readable(MATERIAL, "price", argument="lines")
            if not 0 < len(lines) <= MAX_LINES:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="lines", reason=f"1 to {MAX_LINES} lines"
                )
            for line in lines:
                quantity: Decimal = line["quantity"]
                if not (quantity.is_finite() and 0 < quantity < 10**15):
                    raise CrmError(
                        ErrorCode.INVALID_ARGUMENT,
                        field="lines",
                        reason=f"{line['material_code']}: a quantity above 0",
                    )
        except CrmError as error:
            raise graphql_error(error) from error
        business_unit = access.business_unit
        day = on or business_unit.today()
        codes = [line["material_code"] for line in lines]
        visible = access.visible(
            MATERIAL, Material.objects.filter(group_id=business_unit.group_id, code__in=codes)
        )
        ids = dict(visible.values_list("code", "pk"))
        resolved = resolve_prices(
            business_unit=business_unit, material_ids=ids.values(), on=day, with_breaks=True
        )
        quote_lines = []
        for line in lines:
            code = line["material_code"]
            outcome: ResolvedPrice | CrmError = (
                resolved[ids[code]]
                if code in ids
                else CrmError(ErrorCode.NOT_FOUND, field="lines", object=MATERIAL.name, id=code)
            )
            if isinstance(outcome, ResolvedPrice):
                outcome = outcome.at(line["quantity"])
            quote_lines.append(_line(code, line["quantity"], outcome))
        totals = [line.line_total for line in quote_lines]
        total = (
            MoneyValue(sum(t.amount for t in totals), business_unit.currency)
            if all(totals)
            else None
        )
        return PriceQuote(currency=business_unit.currency, on=day, lines=quote_lines, total=total)
