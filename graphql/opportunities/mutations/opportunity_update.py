"""opportunityUpdate: change the given fields of an open deal."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.customfields.fields import CustomFieldInput, custom_values
from crm.graphql.opportunities.mutations.base import DealMutation, deal_of, reason_of
from crm.graphql.opportunities.types import DealClass, DealGrade, Opportunity
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services


class OpportunityUpdate(DealMutation):
    class Meta:
        description = (
            "Change the given fields of an open deal (null clears amount, expected close, "
            "contact, class or grade). A field required in a stage the deal has reached cannot "
            "be cleared; a closed deal must be reopened first."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.UNKNOWN_CURRENCY,
            ErrorCode.INVALID_ASSIGNEE,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.RECORD_CLOSED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        name = graphene.String()
        account = graphene.ID(description="Account:<pk>")
        owner = graphene.ID(description="User:<pk>; needs the assign permission.")
        amount = graphene.Decimal()
        currency = graphene.String()
        expected_close = graphene.Date()
        primary_contact = graphene.ID(description="Contact:<pk>")
        deal_class = DealClass()
        grade = DealGrade()
        custom_fields = graphene.List(graphene.NonNull(CustomFieldInput))

    opportunity = graphene.Field(Opportunity)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, id: str, **given: Any
    ) -> dict[str, Any]:
        deal = deal_of(access, id)
        changes: dict[str, Any] = {}
        if "name" in given:
            changes["name"] = given["name"] or ""
        if "account" in given:
            if not given["account"]:
                raise_required("account")
            changes["account"] = pk_of("Account", given["account"], field="account")
        if "owner" in given:
            if not given["owner"]:
                raise_required("owner")
            changes["owner_id"] = pk_of("User", given["owner"], field="owner")
        if "amount" in given:
            changes["amount"] = given["amount"]
        if "currency" in given:
            changes["currency"] = given["currency"] or ""
        if "expected_close" in given:
            changes["expected_close"] = given["expected_close"]
        if "primary_contact" in given:
            contact = given["primary_contact"]
            changes["primary_contact"] = (
                pk_of("Contact", contact, field="primaryContact") if contact else None
            )
        if "deal_class" in given:
            changes["deal_class"] = _value(given["deal_class"])
        if "grade" in given:
            changes["grade"] = _value(given["grade"])
        if "custom_fields" in given:
            changes["custom"] = custom_values(given["custom_fields"])
        deal = services.update_opportunity(access, deal, reason=reason_of(info), **changes)
        return {"opportunity": services.get_deal(access, deal.pk)}


def _value(item: Any) -> str:
    return str(getattr(item, "value", item) or "")


def raise_required(field: str) -> None:
    raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field=field, object="opportunity")
