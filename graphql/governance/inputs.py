"""The proposal of a new golden customer, as customerRequestNew and leadConvert take it."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.customers.types import Classification, CompanySize, Grade


class NewCustomerInput(graphene.InputObjectType):
    """A company HQ does not know yet; validated as customerCreate validates it."""

    legal_name = graphene.String(required=True)
    trade_names = graphene.List(graphene.NonNull(TranslationInput))
    country = graphene.String(required=True, description="ISO 3166-1 alpha-2.")
    tax_id = graphene.String(description="Checked and normalized for the country.")
    industry = graphene.String()
    size = graphene.Argument(CompanySize)
    classification = graphene.Argument(Classification)
    grade = graphene.Argument(Grade)


def proposal(new_customer: dict[str, Any]) -> dict[str, Any]:
    """The input as the service's field names and values."""
    fields: dict[str, Any] = {}
    for name, value in new_customer.items():
        if name == "trade_names":
            fields["trade_name"] = translations(value)
        else:
            fields[name] = value
    return fields
