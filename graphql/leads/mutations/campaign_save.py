"""campaignCreate and campaignUpdate: the business unit's campaigns, names in every language,
cost in Money."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.customfields.fields import MoneyInput
from crm.graphql.leads.types import Campaign
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads.campaigns import campaign_save

CAMPAIGN_ERRORS = (
    ErrorCode.INVALID_ARGUMENT,
    ErrorCode.NOT_FOUND,
    ErrorCode.ALREADY_EXISTS,
    ErrorCode.UNKNOWN_CURRENCY,
    ErrorCode.UNKNOWN_LANGUAGE,
    ErrorCode.MALFORMED_ID,
)


def _changes(arguments: dict[str, Any]) -> dict[str, Any]:
    changes = dict(arguments)
    if "names" in changes:
        changes["names"] = translations(changes["names"])
    if changes.get("cost") is not None:
        cost = changes["cost"]
        changes["cost"] = {"amount": cost["amount"], "currency": cost["currency"]}
    return changes


class CampaignCreate(CrmMutation):
    class Meta:
        error_codes = CAMPAIGN_ERRORS

    class Arguments:
        code = graphene.String(required=True)
        names = graphene.List(graphene.NonNull(TranslationInput), required=True)
        source = graphene.String(required=True, description="The group's lead source code.")
        cost = graphene.Argument(MoneyInput)
        starts_on = graphene.Date()
        ends_on = graphene.Date()
        active = graphene.Boolean()

    campaign = graphene.Field(Campaign)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        return {"campaign": campaign_save(access, **_changes(arguments))}


class CampaignUpdate(CrmMutation):
    class Meta:
        error_codes = CAMPAIGN_ERRORS

    class Arguments:
        id = graphene.ID(required=True)
        code = graphene.String()
        names = graphene.List(graphene.NonNull(TranslationInput))
        source = graphene.String()
        cost = graphene.Argument(MoneyInput)
        starts_on = graphene.Date()
        ends_on = graphene.Date()
        active = graphene.Boolean()

    campaign = graphene.Field(Campaign)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        campaign_id = pk_of("Campaign", id)
        return {"campaign": campaign_save(access, campaign_id=campaign_id, **_changes(arguments))}
