"""opportunityCreate: a new deal in the first stage of a pipeline of the business unit."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.customfields.fields import CustomFieldInput, custom_values
from crm.graphql.opportunities.mutations.base import DealMutation, DealProductInput, products_of
from crm.graphql.opportunities.types import DealClass, DealGrade, Opportunity
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services


def _value(item: Any) -> str:
    return str(getattr(item, "value", item) or "")


class OpportunityCreate(DealMutation):
    class Meta:
        description = (
            "Create a deal for an account of the business unit, in the first stage of the "
            "pipeline (the default one unless named); you own it unless you name an owner."
        )
        error_codes = (
            ErrorCode.MALFORMED_ID,
            ErrorCode.NOT_FOUND,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.UNKNOWN_CURRENCY,
            ErrorCode.INVALID_ASSIGNEE,
            ErrorCode.REQUIRED_FIELD_MISSING,
        )

    class Arguments:
        name = graphene.String(required=True)
        account = graphene.ID(required=True, description="Account:<pk>")
        owner = graphene.ID(description="User:<pk>; you by default.")
        pipeline = graphene.ID(description="Pipeline:<pk>; the default pipeline otherwise.")
        amount = graphene.Decimal()
        currency = graphene.String(description="ISO-4217; the business unit's by default.")
        expected_close = graphene.Date()
        primary_contact = graphene.ID(description="Contact:<pk>")
        products = graphene.List(graphene.NonNull(DealProductInput))
        deal_class = DealClass()
        grade = DealGrade()
        custom_fields = graphene.List(graphene.NonNull(CustomFieldInput))

    opportunity = graphene.Field(Opportunity)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        name: str,
        account: str,
        owner: str | None = None,
        pipeline: str | None = None,
        amount: Decimal | None = None,
        currency: str | None = None,
        expected_close: datetime.date | None = None,
        primary_contact: str | None = None,
        products: list[dict[str, Any]] | None = None,
        deal_class: Any = None,
        grade: Any = None,
        custom_fields: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        deal = services.create_opportunity(
            access,
            name=name,
            account=pk_of("Account", account, field="account"),
            owner_id=pk_of("User", owner, field="owner") if owner else None,
            pipeline=pk_of("Pipeline", pipeline, field="pipeline") if pipeline else None,
            amount=amount,
            currency=currency,
            expected_close=expected_close,
            primary_contact=(
                pk_of("Contact", primary_contact, field="primaryContact")
                if primary_contact
                else None
            ),
            product_ids=products_of(products),
            custom=custom_values(custom_fields),
            deal_class=_value(deal_class),
            grade=_value(grade),
        )
        return {"opportunity": services.get_deal(access, deal.pk)}
