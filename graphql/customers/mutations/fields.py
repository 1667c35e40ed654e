"""The arguments customerCreate and customerUpdate share, and how they map to model fields."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.customers.types import Classification, CompanySize, CustomerStatus, Grade


def customer_arguments() -> dict[str, Any]:
    return {
        "code": graphene.String(description="Group-wide code; generated when omitted."),
        "legal_name": graphene.String(),
        "trade_names": graphene.List(graphene.NonNull(TranslationInput)),
        "country": graphene.String(description="ISO 3166-1 alpha-2."),
        "tax_id": graphene.String(description="Checked and normalized for the country."),
        "industry": graphene.String(),
        "size": graphene.Argument(CompanySize),
        "classification": graphene.Argument(Classification),
        "grade": graphene.Argument(Grade),
        "parent": graphene.ID(description="The parent company's customer id; null: none."),
        "status": graphene.Argument(CustomerStatus),
        "credit_limit": graphene.Decimal(description="In the group currency."),
        "confirm_duplicate": graphene.Boolean(
            default_value=False,
            description="Write even though similar records exist (DUPLICATE_SUSPECTED).",
        ),
    }


def model_fields(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments given, as the service's field names and values."""
    fields: dict[str, Any] = {}
    for name, value in arguments.items():
        if name == "confirm_duplicate":
            continue
        if name == "trade_names":
            fields["trade_name"] = translations(value)
        elif name == "parent":
            fields["parent"] = pk_of("Customer", value, field="parent") if value else None
        else:
            fields[name] = value
    return fields
