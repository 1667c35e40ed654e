"""Arguments the account, contact, activity and task mutations share, and how they map to the
services' values."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.customfields.fields import CustomFieldInput, custom_values
from crm.graphql.relationships.types import AccountClassification, BuyingRole


def account_arguments() -> dict[str, Any]:
    return {
        "local_code": graphene.String(description="Unique in the BU; generated when omitted."),
        "local_name": graphene.String(),
        "payment_terms": graphene.String(),
        "classification": graphene.Argument(AccountClassification),
        "notes": graphene.String(),
        "custom_fields": graphene.List(graphene.NonNull(CustomFieldInput)),
    }


def contact_arguments() -> dict[str, Any]:
    return {
        "first_name": graphene.String(description="In the person's own script."),
        "last_name": graphene.String(description="In the person's own script; required."),
        "first_name_latin": graphene.String(),
        "last_name_latin": graphene.String(),
        "job_title": graphene.String(),
        "buying_role": graphene.Argument(BuyingRole),
        "email": graphene.String(),
        "phone": graphene.String(),
        "mobile": graphene.String(),
        "language": graphene.String(description="e.g. de, ja, zh-hans"),
        "consent_email": graphene.Boolean(),
        "consent_phone": graphene.Boolean(),
        "custom_fields": graphene.List(graphene.NonNull(CustomFieldInput)),
    }


def target_arguments() -> dict[str, Any]:
    return {
        "account": graphene.ID(),
        "contact": graphene.ID(),
        "lead": graphene.ID(),
        "opportunity": graphene.ID(),
    }


TARGET_KINDS = {
    "account": "Account",
    "contact": "Contact",
    "lead": "Lead",
    "opportunity": "Opportunity",
}


def targets(arguments: dict[str, Any]) -> dict[str, int]:
    """The records named by global id, as primary keys (MALFORMED_ID for a bad id)."""
    return {
        name: pk_of(kind, arguments[name], field=name)
        for name, kind in TARGET_KINDS.items()
        if arguments.get(name)
    }


def model_values(arguments: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    """The arguments given among `names`, as the services' values (custom fields as `custom`,
    enums as their values)."""
    values: dict[str, Any] = {}
    for name in names:
        if name not in arguments:
            continue
        value = arguments[name]
        if name == "custom_fields":
            values["custom"] = custom_values(value)
        else:
            values[name] = getattr(value, "value", value) if value is not None else None
    return values


def user_pk(value: str | None, field: str = "owner") -> int | None:
    return pk_of("User", value, field=field) if value else None
