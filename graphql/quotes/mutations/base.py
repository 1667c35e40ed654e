"""What the quote mutations share: the quote by its global id, line inputs, the payload."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.quotes import services
from crm.tenants.quotes.models import Quote
from crm.tenants.quotes.pricing import LineInput

# Codes every mutation on one quote can answer.
ON_QUOTE = (ErrorCode.MALFORMED_ID, ErrorCode.NOT_FOUND, ErrorCode.RECORD_CLOSED)
# Codes of pricing lines.
PRICING = (
    ErrorCode.INVALID_ARGUMENT,
    ErrorCode.PRICE_NOT_FOUND,
    ErrorCode.RATE_NOT_FOUND,
    ErrorCode.TAX_RATE_NOT_FOUND,
)


def quote_of(access: Access, global_id: str) -> Quote:
    return services.get_quote(access, pk_of("Quote", global_id))


def payload(access: Access, quote: Quote) -> dict[str, Any]:
    """The quote as the caller sees it now (its lines loaded)."""
    return {"quote": services.get_quote(access, quote.pk)}


class QuoteLineItemInput(graphene.InputObjectType):
    material = graphene.ID(required=True, description="The material's global id.")
    quantity = graphene.Decimal(required=True, description="Above 0, at most 3 decimals.")
    discount = graphene.Decimal(description="The line's discount, % (default 0).")
    tax_code = graphene.String(description="A tax rate's code; default: by category, then default.")


def lines_of(entries: list[dict[str, Any]] | None) -> list[LineInput]:
    return [
        LineInput(
            material_id=pk_of("Material", entry["material"], field=f"lines.{index}.material"),
            quantity=entry["quantity"],
            discount=Decimal(entry.get("discount") or 0),
            tax_code=(entry.get("tax_code") or "").strip().lower(),
        )
        for index, entry in enumerate(entries or [])
    ]
