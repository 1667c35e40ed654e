"""GraphQL types of a BU's contracts, their payment plans, approvals and approval flows."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay
from graphql_relay import to_global_id

from crm.graphql.contracts.loaders import contract_loaders
from crm.graphql.core.ids import BusinessUnitScopedId, scoped_global_id
from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import permissions_field
from crm.graphql.core.types import Money
from crm.graphql.opportunities.loaders import opportunity_loaders
from crm.graphql.opportunities.types import DealAccount, DealUser
from crm.graphql.quotes.types import money
from crm.tenants.contracts import models
from crm.tenants.contracts.access import APPROVAL, APPROVAL_FLOW, CONTRACT

ContractStatus = graphene.Enum.from_enum(models.ContractStatus)
ApprovalStatus = graphene.Enum.from_enum(models.TaskStatus, name="ApprovalStatus")
ApprovalEventKind = graphene.Enum.from_enum(models.ApprovalEvent.Kind, name="ContractEventKind")
FlowMode = graphene.Enum.from_enum(models.FlowMode, name="ApprovalFlowMode")


class PaymentShare(graphene.ObjectType):
    percent = graphene.Decimal(required=True)
    days = graphene.Int(required=True, description="Due this many days after signing.")


class PaymentInstalment(graphene.ObjectType):
    position = graphene.Int(required=True)
    percent = graphene.Decimal(required=True)
    due_date = graphene.Date(required=True)
    amount = graphene.Field(Money, required=True)

    @staticmethod
    def resolve_amount(root: models.PaymentInstalment, _info: graphene.ResolveInfo) -> object:
        return money(root.amount, root.currency)


class ApprovalStepInfo(graphene.ObjectType):
    position = graphene.Int(required=True)
    name = graphene.String(required=True)


class Approver(graphene.ObjectType):
    """Who decides a step: anyone holding `role`, or `user` (and their delegates)."""

    role = graphene.String()
    user = graphene.Field(DealUser)


class ApprovalContract(graphene.ObjectType):
    """What an approver sees of the contract they decide on."""

    id = graphene.ID(required=True)
    number = graphene.String(required=True)
    total = graphene.Field(Money, required=True)

    @staticmethod
    def resolve_id(root: models.Contract, _info: graphene.ResolveInfo) -> str:
        return scoped_global_id("Contract", root.pk)

    @staticmethod
    def resolve_total(root: models.Contract, _info: graphene.ResolveInfo) -> object:
        return money(root.total_amount, root.currency)


class Approval(BusinessUnitScopedId, graphene.ObjectType):
    """One step of a contract's approval, for its approver."""

    class Meta:
        interfaces = (relay.Node,)

    contract = graphene.Field(ApprovalContract)
    step = graphene.Field(ApprovalStepInfo)
    approver = graphene.Field(Approver)
    status = graphene.Field(ApprovalStatus)
    decided_by = graphene.Field(DealUser)
    on_behalf_of = graphene.Field(DealUser, description="Set when a delegate decided.")
    decided_at = graphene.DateTime()
    comment = graphene.String()
    amount_group = graphene.Field(Money, description="The total in the group currency.")
    discount = graphene.Decimal(description="The quote's highest discount, %.")
    permissions = permissions_field(APPROVAL)

    @staticmethod
    def resolve_contract(root: models.ApprovalTask, _info: graphene.ResolveInfo) -> object:
        return root.contract

    @staticmethod
    def resolve_step(root: models.ApprovalTask, _info: graphene.ResolveInfo) -> object:
        return ApprovalStepInfo(position=root.position, name=root.name)

    @staticmethod
    def resolve_approver(root: models.ApprovalTask, info: graphene.ResolveInfo) -> object:
        user = (
            opportunity_loaders(info).users.load(root.approver_user_id)
            if root.approver_user_id
            else None
        )
        return Approver(role=root.approver_role or None, user=user)

    @staticmethod
    def resolve_status(root: models.ApprovalTask, _info: graphene.ResolveInfo) -> object:
        return models.TaskStatus(root.status)

    @staticmethod
    def resolve_decided_by(root: models.ApprovalTask, info: graphene.ResolveInfo) -> object:
        if root.decided_by_id is None:
            return None
        return opportunity_loaders(info).users.load(root.decided_by_id)

    @staticmethod
    def resolve_on_behalf_of(root: models.ApprovalTask, info: graphene.ResolveInfo) -> object:
        if root.on_behalf_of_id is None:
            return None
        return opportunity_loaders(info).users.load(root.on_behalf_of_id)

    @staticmethod
    def resolve_amount_group(root: models.ApprovalTask, _info: graphene.ResolveInfo) -> object:
        request = root.request
        return money(request.amount_group, request.group_currency)

    @staticmethod
    def resolve_discount(root: models.ApprovalTask, _info: graphene.ResolveInfo) -> object:
        return root.request.discount


class ApprovalConnection(CountedConnection):
    class Meta:
        node = Approval


class ContractEvent(graphene.ObjectType):
    """An entry of a contract's trail: submission, each decision (by whom, for whom), signing."""

    kind = graphene.Field(ApprovalEventKind, required=True)
    step = graphene.String(description="The step's name, for step events.")
    actor = graphene.String(required=True)
    user = graphene.Field(DealUser)
    on_behalf_of = graphene.Field(DealUser)
    comment = graphene.String(required=True)
    at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_kind(root: models.ApprovalEvent, _info: graphene.ResolveInfo) -> object:
        return models.ApprovalEvent.Kind(root.kind)

    @staticmethod
    def resolve_step(root: models.ApprovalEvent, _info: graphene.ResolveInfo) -> object:
        return root.task.name if root.task_id and root.task else None

    @staticmethod
    def resolve_user(root: models.ApprovalEvent, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).users.load(root.user_id) if root.user_id else None

    @staticmethod
    def resolve_on_behalf_of(root: models.ApprovalEvent, info: graphene.ResolveInfo) -> object:
        if not root.on_behalf_of_id:
            return None
        return opportunity_loaders(info).users.load(root.on_behalf_of_id)


class Contract(BusinessUnitScopedId, graphene.ObjectType):
    """A contract of the business unit, made from an accepted quote."""

    class Meta:
        interfaces = (relay.Node,)

    number = graphene.String()
    status = graphene.Field(ContractStatus)
    quote = graphene.ID(description="The accepted quote's global id.")
    opportunity = graphene.ID(description="The deal's global id.")
    account = graphene.Field(DealAccount)
    customer = graphene.ID(description="The golden customer's global id (Customer:<pk>).")
    owner = graphene.Field(DealUser)
    currency = graphene.String()
    net_total = graphene.Field(Money)
    tax_total = graphene.Field(Money)
    total = graphene.Field(Money, description="Gross: what the customer pays.")
    discount = graphene.Decimal(description="The quote's highest discount, %.")
    amount_group = graphene.Field(
        Money, description="The total in the group currency, at the submission day's rate."
    )
    terms = graphene.String()
    payment_terms = graphene.List(graphene.NonNull(PaymentShare))
    payment_plan = graphene.List(
        graphene.NonNull(PaymentInstalment), description="Made when signed; sums to the total."
    )
    approvals = graphene.List(graphene.NonNull(Approval), description="Of the latest submission.")
    events = graphene.List(graphene.NonNull(ContractEvent), description="Oldest first.")
    signed_on = graphene.Date()
    signed_by = graphene.Field(DealUser)
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    permissions = permissions_field(CONTRACT)

    @staticmethod
    def resolve_status(root: models.Contract, _info: graphene.ResolveInfo) -> object:
        return models.ContractStatus(root.status)

    @staticmethod
    def resolve_quote(root: models.Contract, _info: graphene.ResolveInfo) -> str:
        return scoped_global_id("Quote", root.quote_id)

    @staticmethod
    def resolve_opportunity(root: models.Contract, _info: graphene.ResolveInfo) -> str:
        return scoped_global_id("Opportunity", root.opportunity_id)

    @staticmethod
    def resolve_account(root: models.Contract, info: graphene.ResolveInfo) -> object:
        return (root.account_id, opportunity_loaders(info).accounts.load(root.account_id))

    @staticmethod
    def resolve_customer(root: models.Contract, _info: graphene.ResolveInfo) -> str:
        return to_global_id("Customer", root.customer_id)

    @staticmethod
    def resolve_owner(root: models.Contract, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).users.load(root.owner_id)

    @staticmethod
    def resolve_net_total(root: models.Contract, _info: graphene.ResolveInfo) -> object:
        return money(root.net_amount, root.currency)

    @staticmethod
    def resolve_tax_total(root: models.Contract, _info: graphene.ResolveInfo) -> object:
        return money(root.tax_amount, root.currency)

    @staticmethod
    def resolve_total(root: models.Contract, _info: graphene.ResolveInfo) -> object:
        return money(root.total_amount, root.currency)

    @staticmethod
    def resolve_amount_group(root: models.Contract, _info: graphene.ResolveInfo) -> object:
        return money(root.amount_group, root.group_currency) if root.group_currency else None

    @staticmethod
    def resolve_payment_terms(root: models.Contract, _info: graphene.ResolveInfo) -> list[Any]:
        return [
            PaymentShare(percent=share["percent"], days=share["days"])
            for share in root.payment_terms
        ]

    @staticmethod
    def resolve_payment_plan(root: models.Contract, info: graphene.ResolveInfo) -> list[Any]:
        return contract_loaders(info).payment_plans.load(root.pk)

    @staticmethod
    def resolve_approvals(root: models.Contract, info: graphene.ResolveInfo) -> list[Any]:
        return contract_loaders(info).approvals.load(root.pk)

    @staticmethod
    def resolve_events(root: models.Contract, info: graphene.ResolveInfo) -> list[Any]:
        return contract_loaders(info).events.load(root.pk)

    @staticmethod
    def resolve_signed_by(root: models.Contract, info: graphene.ResolveInfo) -> object:
        if root.signed_by_id is None:
            return None
        return opportunity_loaders(info).users.load(root.signed_by_id)


class ContractConnection(CountedConnection):
    class Meta:
        node = Contract


class ApprovalFlowStep(graphene.ObjectType):
    position = graphene.Int(required=True)
    name = graphene.String(required=True)
    approver = graphene.Field(Approver, required=True)
    min_amount_group = graphene.Decimal(description="In the group currency; null: any.")
    min_discount = graphene.Decimal(description="%; null: any.")

    @staticmethod
    def resolve_approver(root: models.ApprovalStep, info: graphene.ResolveInfo) -> object:
        user = (
            opportunity_loaders(info).users.load(root.approver_user_id)
            if root.approver_user_id
            else None
        )
        return Approver(role=root.approver_role or None, user=user)


class ApprovalThresholds(graphene.ObjectType):
    min_amount_group = graphene.Decimal(description="In the group currency; null: any.")
    min_discount = graphene.Decimal(description="%; null: any.")


class ApprovalFlow(BusinessUnitScopedId, graphene.ObjectType):
    """An approval flow of the business unit (data the BU's managers keep)."""

    class Meta:
        interfaces = (relay.Node,)

    code = graphene.String()
    name = graphene.String()
    mode = graphene.Field(FlowMode)
    active = graphene.Boolean()
    position = graphene.Int()
    thresholds = graphene.Field(ApprovalThresholds)
    steps = graphene.List(graphene.NonNull(ApprovalFlowStep))
    permissions = permissions_field(APPROVAL_FLOW)

    @staticmethod
    def resolve_mode(root: models.ApprovalFlow, _info: graphene.ResolveInfo) -> object:
        return models.FlowMode(root.mode)

    @staticmethod
    def resolve_thresholds(root: models.ApprovalFlow, _info: graphene.ResolveInfo) -> object:
        return ApprovalThresholds(
            min_amount_group=root.min_amount_group, min_discount=root.min_discount
        )

    @staticmethod
    def resolve_steps(root: models.ApprovalFlow, _info: graphene.ResolveInfo) -> list[Any]:
        return sorted(root.steps.all(), key=lambda step: step.position)


class ApprovalDelegation(graphene.ObjectType):
    id = graphene.ID(required=True)
    delegator = graphene.Field(DealUser, required=True)
    delegate = graphene.Field(DealUser, required=True)
    starts_on = graphene.Date(required=True)
    ends_on = graphene.Date(required=True)
    note = graphene.String(required=True)

    @staticmethod
    def resolve_id(root: models.ApprovalDelegation, _info: graphene.ResolveInfo) -> str:
        return scoped_global_id("ApprovalDelegation", root.pk)

    @staticmethod
    def resolve_delegator(root: models.ApprovalDelegation, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).users.load(root.delegator_id)

    @staticmethod
    def resolve_delegate(root: models.ApprovalDelegation, info: graphene.ResolveInfo) -> object:
        return opportunity_loaders(info).users.load(root.delegate_id)
