"""The inputs lead mutations share, and turning them into the services' {attribute: value}."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.customfields.fields import CustomFieldInput, custom_values

# GraphQL input name (snake_case) -> lead attribute.
TEXTS = (
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "country",
    "region",
    "industry",
    "message",
)


class LeadInput(graphene.InputObjectType):
    """A lead's fields; in an update, only those given change (null or "" clears a text)."""

    first_name = graphene.String()
    last_name = graphene.String()
    company_name = graphene.String()
    email = graphene.String()
    phone = graphene.String()
    country = graphene.String(description="ISO 3166-1 alpha-2, e.g. DE.")
    region = graphene.String()
    industry = graphene.String()
    message = graphene.String()
    products = graphene.List(
        graphene.NonNull(graphene.ID), description="Golden materials (Material:<pk>)."
    )
    source = graphene.String(description="The group's lead source code, e.g. WEBSITE.")
    campaign = graphene.String(description="The business unit's campaign code.")
    custom_fields = graphene.List(graphene.NonNull(CustomFieldInput))


def lead_data(entries: dict[str, Any] | None) -> dict[str, Any]:
    """The services' input for a LeadInput: only the keys the caller gave."""
    data: dict[str, Any] = {}
    for name, value in (entries or {}).items():
        if name in TEXTS:
            data[name] = value or ""
        elif name == "products":
            data["product_ids"] = [pk_of("Material", pk, field="products") for pk in value or []]
        elif name in ("source", "campaign"):
            data[name] = value or ""
        elif name == "custom_fields":
            data["custom"] = custom_values(value)
    return data
