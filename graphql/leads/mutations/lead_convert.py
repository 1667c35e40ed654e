"""leadConvert: a qualified lead becomes a contact at the BU account of a golden customer (the
account created if needed) and an opportunity, in one transaction: all of it or nothing.

For a company HQ does not know yet, `newCustomer` (with `why`) files a request for a new golden
customer instead and remembers it on the lead, which stays QUALIFIED; nothing else is created and
the payload's `changeRequest` is the request. Once a steward approved it, `leadConvert(id)`
without a customer converts the lead with the customer HQ created; while it is pending every
conversion is refused with AWAITING_APPROVAL; after a rejection, convert with another customer
or request a new one."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of, scoped_global_id
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.customers.types import DuplicateCandidate
from crm.graphql.governance.inputs import NewCustomerInput, proposal
from crm.graphql.governance.types import ChangeRequest
from crm.graphql.leads.types import Lead
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.leads.services import lead_convert, lead_request_customer


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
            ErrorCode.AWAITING_APPROVAL,
            ErrorCode.INVALID_TAX_ID,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.DUPLICATE_SUSPECTED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        customer = graphene.ID(
            description="The golden customer (Customer:<pk>). Omit it to convert with the "
            "customer HQ created on approving the lead's request (newCustomer)."
        )
        new_customer = graphene.Argument(
            NewCustomerInput,
            description="A company HQ does not know yet: request it (the lead is converted "
            "once approved). Not with customer.",
        )
        why = graphene.String(description="With newCustomer: why the customer is needed.")
        confirm_duplicate = graphene.Boolean(
            default_value=False,
            description="With newCustomer: request it although similar customers exist.",
        )
        local_code = graphene.String(
            description="The new account's local code (generated if not given); ignored when "
            "the business unit already has an account for the customer."
        )
        opportunity_name = graphene.String()
        amount = graphene.Argument(MoneyAmountInput)
        expected_close = graphene.Date()
        pipeline = graphene.ID(description="Pipeline:<pk>; the BU's default if not given.")

    lead = graphene.Field(Lead)
    change_request = graphene.Field(
        ChangeRequest, description="With newCustomer: the request filed for HQ to decide."
    )
    duplicates = graphene.List(
        graphene.NonNull(DuplicateCandidate),
        description="With DUPLICATE_SUSPECTED: the customers that look alike, with scores.",
    )
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
        customer: str | None = None,
        new_customer: dict[str, Any] | None = None,
        why: str | None = None,
        confirm_duplicate: bool = False,
        local_code: str | None = None,
        opportunity_name: str | None = None,
        amount: dict[str, Any] | None = None,
        expected_close: datetime.date | None = None,
        pipeline: str | None = None,
    ) -> dict[str, Any]:

        lead_id = pk_of("Lead", id)
        if new_customer is not None:
            if customer:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="newCustomer",
                    reason="give either a customer or a new customer",
                )
            lead, request = lead_request_customer(
                access,
                lead_id,
                proposed=proposal(new_customer),
                reason=why or "",
                confirm_duplicate=bool(confirm_duplicate),
            )
            return {"lead": lead, "change_request": request, "duplicates": []}
        customer_id = pk_of("Customer", customer, field="customer") if customer else None
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
            "duplicates": [],
            "lead": done.lead,
            "contact": scoped_global_id("Contact", done.contact.pk),
            "account": scoped_global_id("Account", done.account.pk),
            "opportunity": scoped_global_id("Opportunity", done.opportunity.pk),
        }
