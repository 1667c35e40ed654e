"""leadConvert: a qualified lead becomes a contact at the BU account of a golden customer (the
account created if needed) and an opportunity, in one transaction: all of it or nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.leads.types import Lead
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads.services import lead_convert


class MoneyAmountInput(graphene.InputObjectType):
    amount = graphene.Decimal(required=True)
    currency = graphene.String(required=True, description="ISO-4217 code")


class LeadConvert(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.RECORD_CLOSED,
            ErrorCode.INVALID_STAGE_CHANGE,
            ErrorCode.REQUIRED_FIELD_MISSING,
            ErrorCode.STAGE_CONDITIONS_NOT_MET,
            ErrorCode.INVALID_ASSIGNEE,
            ErrorCode.UNKNOWN_CURRENCY,
            ErrorCode.RATE_NOT_FOUND,
        )

    class Arguments:
        id = graphene.ID(required=True)
        customer = graphene.ID(required=True, description="The golden customer (Customer:<pk>).")
        local_code = graphene.String(
            description="The new account's local code (generated if not given); ignored when "
            "the business unit already has an account for the customer."
        )
        opportunity_name = graphene.String()
        amount = graphene.Argument(MoneyAmountInput)
        expected_close = graphene.Date()
        pipeline = graphene.ID(description="Pipeline:<pk>; the BU's default if not given.")

    lead = graphene.Field(Lead)
    contact = graphene.ID(description="Contact:<pk>")
    account = graphene.ID(description="Account:<pk>")
    opportunity = graphene.ID(description="Opportunity:<pk>")

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        id: str,
        customer: str,
        local_code: str | None = None,
        opportunity_name: str | None = None,
        amount: dict[str, Any] | None = None,
        expected_close: datetime.date | None = None,
        pipeline: str | None = None,
    ) -> dict[str, Any]:
        from graphql_relay import to_global_id

        lead_id = pk_of("Lead", id)
        customer_id = pk_of("Customer", customer, field="customer")
        pipeline_id = pk_of("Pipeline", pipeline, field="pipeline") if pipeline else None
        value: Decimal | None = Decimal(str(amount["amount"])) if amount else None
        done = lead_convert(
            access,
            lead_id,
            customer_id=customer_id,
            local_code=local_code or "",
            opportunity_name=opportunity_name or "",
            amount=value,
            currency=str(amount["currency"]).upper() if amount else None,
            expected_close=expected_close,
            pipeline=pipeline_id,
        )
        return {
            "lead": done.lead,
            "contact": to_global_id("Contact", done.contact.pk),
            "account": to_global_id("Account", done.account.pk),
            "opportunity": to_global_id("Opportunity", done.opportunity.pk),
        }
