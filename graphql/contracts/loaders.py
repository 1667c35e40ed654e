"""The DataLoaders of the contract types, one per relation and request: a page of contracts
costs the same statements whatever its size (the list resolver announces its keys with
`expect_contracts`)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

import graphene

from crm.graphql.core.loaders import BatchLoader
from crm.tenants.contracts.models import (
    ApprovalEvent,
    ApprovalRequest,
    ApprovalTask,
    Contract,
    PaymentInstalment,
)


class ContractLoaders:
    def expect_contracts(self, contracts: Iterable[Contract]) -> None:
        keys = [contract.pk for contract in contracts]
        self.payment_plans.expect(keys)
        self.approvals.expect(keys)
        self.events.expect(keys)

    @cached_property
    def payment_plans(self) -> BatchLoader[int, list[PaymentInstalment]]:
        def batch(ids: list[int]) -> dict[int, list[PaymentInstalment]]:
            found: dict[int, list[PaymentInstalment]] = {key: [] for key in ids}
            instalments = PaymentInstalment.objects.filter(contract_id__in=ids)
            for instalment in instalments.order_by("contract_id", "position"):
                found[instalment.contract_id].append(instalment)
            return found

        return BatchLoader(batch)

    @cached_property
    def approvals(self) -> BatchLoader[int, list[ApprovalTask]]:
        """The steps of each contract's latest approval request (earlier rounds are history)."""

        def batch(ids: list[int]) -> dict[int, list[ApprovalTask]]:
            latest = (
                ApprovalRequest.objects.filter(contract_id__in=ids)
                .order_by("contract_id", "-created_at", "-id")
                .distinct("contract_id")
                .values_list("pk", flat=True)
            )
            found: dict[int, list[ApprovalTask]] = {key: [] for key in ids}
            tasks = ApprovalTask.objects.filter(request_id__in=list(latest)).select_related(
                "request", "contract"
            )
            for task in tasks.order_by("contract_id", "position", "id"):
                found[task.contract_id].append(task)
            return found

        return BatchLoader(batch)

    @cached_property
    def events(self) -> BatchLoader[int, list[ApprovalEvent]]:
        def batch(ids: list[int]) -> dict[int, list[ApprovalEvent]]:
            found: dict[int, list[ApprovalEvent]] = {key: [] for key in ids}
            rows = ApprovalEvent.objects.filter(contract_id__in=ids).select_related("task")
            for event in rows.order_by("at", "id"):
                found[event.contract_id].append(event)
            return found

        return BatchLoader(batch)


def contract_loaders(info: graphene.ResolveInfo) -> ContractLoaders:
    """The request's contract loaders (made on first use)."""
    context = info.context
    loaders: ContractLoaders | None = getattr(context, "_contract_loaders", None)
    if loaders is None:
        loaders = ContractLoaders()
        context._contract_loaders = loaders
    return loaders
