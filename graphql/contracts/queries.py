"""Contract queries: one contract, the BU's contracts (filtered, keyset-paged), the approvals
waiting for the caller, the BU's approval flows and delegations."""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import QuerySet
from graphene import relay

from crm.graphql.contracts.loaders import contract_loaders
from crm.graphql.contracts.types import (
    ApprovalConnection,
    ApprovalDelegation,
    ApprovalFlow,
    Contract,
    ContractConnection,
    ContractStatus,
)
from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.masterdata.queries import forward_only
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.contracts import approvals, models, services
from crm.tenants.contracts.access import APPROVAL_FLOW, CONTRACT


class ContractFilter(graphene.InputObjectType):
    status = graphene.List(graphene.NonNull(ContractStatus))
    account = graphene.ID(description="Only the contracts of this account.")
    opportunity = graphene.ID(description="Only the contracts of this deal.")


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


def filtered_contracts(access: Access, filter: dict[str, Any] | None) -> QuerySet[models.Contract]:
    queryset = services.contracts(access)
    filter = filter or {}
    if filter.get("status"):
        access.require_readable(CONTRACT, "status", argument="status")
        queryset = queryset.filter(status__in=[_value(s) for s in filter["status"]])
    if filter.get("account"):
        access.require_readable(CONTRACT, "account", argument="account")
        queryset = queryset.filter(account_id=pk_of("Account", filter["account"], field="account"))
    if filter.get("opportunity"):
        access.require_readable(CONTRACT, "opportunity", argument="opportunity")
        deal = pk_of("Opportunity", filter["opportunity"], field="opportunity")
        queryset = queryset.filter(opportunity_id=deal)
    return queryset


class ContractQueries(graphene.ObjectType):
    contract = graphene.Field(Contract, id=graphene.ID(required=True), description="One contract.")
    contracts = relay.ConnectionField(
        ContractConnection,
        filter=graphene.Argument(ContractFilter),
        description="The business unit's contracts you may view, newest first.",
    )
    my_approvals = relay.ConnectionField(
        ApprovalConnection,
        description="Pending approval steps you may decide (yourself, by role, or as a delegate).",
    )
    approval_flows = graphene.List(
        graphene.NonNull(ApprovalFlow), required=True, description="The BU's approval flows."
    )
    approval_delegations = graphene.List(
        graphene.NonNull(ApprovalDelegation),
        required=True,
        description="Yours (given and received); all of the BU's for its managers.",
    )

    @staticmethod
    def resolve_contract(_root: None, info: graphene.ResolveInfo, id: str) -> models.Contract:
        try:
            return services.get_contract(caller(info), pk_of("Contract", id))
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_contracts(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> ContractConnection:
        try:
            forward_only(last, before)
            page = keyset_page(
                filtered_contracts(caller(info), filter),
                kind="Contract",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("created_at", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        contract_loaders(info).expect_contracts(page.records)
        connection: ContractConnection = connection_from_page(ContractConnection, page)
        return connection

    @staticmethod
    def resolve_my_approvals(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ApprovalConnection:
        try:
            forward_only(last, before)
            queryset = approvals.my_open_tasks(caller(info)).select_related("request", "contract")
            page = keyset_page(queryset, kind="Approval", key="id", first=first, after=after)
        except CrmError as error:
            raise graphql_error(error) from error
        connection: ApprovalConnection = connection_from_page(ApprovalConnection, page)
        return connection

    @staticmethod
    def resolve_approval_flows(
        _root: None, info: graphene.ResolveInfo
    ) -> list[models.ApprovalFlow]:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, APPROVAL_FLOW)
        except CrmError as error:
            raise graphql_error(error) from error
        return list(
            access.visible(APPROVAL_FLOW, models.ApprovalFlow.objects.all())
            .prefetch_related("steps")
            .order_by("position", "id")
        )

    @staticmethod
    def resolve_approval_delegations(
        _root: None, info: graphene.ResolveInfo
    ) -> list[models.ApprovalDelegation]:
        try:
            return list(approvals.delegations(caller(info)))
        except CrmError as error:
            raise graphql_error(error) from error
