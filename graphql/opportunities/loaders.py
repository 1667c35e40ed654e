"""The DataLoaders of the deal types, one per relation and request: a page of deals costs the
same statements whatever its size (the list resolver announces its keys with `expect_page`)."""

from __future__ import annotations

from functools import cached_property

import graphene

from crm.graphql.core.loaders import BatchLoader
from crm.masterdata.access import MATERIAL
from crm.masterdata.models import Material
from crm.masterdata.sales.models import CloseReason, ScoreCriterion
from crm.platform.accounts.models import User
from crm.platform.permissions.engine import Access
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.opportunities.models import (
    Opportunity,
    OpportunityEvent,
    OpportunityProduct,
    Pipeline,
    ScoreAnswer,
    Stage,
)


class OpportunityLoaders:
    def __init__(self, access: Access) -> None:
        self.access = access
        self.group_id = access.business_unit.group_id

    def expect_page(self, deals: list[Opportunity]) -> None:
        """Announce every key a page of deals will load."""
        self.users.expect(deal.owner_id for deal in deals)
        self.users.expect(member.user_id for deal in deals for member in deal.team.all())
        self.accounts.expect(deal.account_id for deal in deals)
        self.stages.expect(deal.stage_id for deal in deals)
        self.pipelines.expect(deal.pipeline_id for deal in deals)
        self.close_reasons.expect(deal.close_reason_id for deal in deals if deal.close_reason_id)
        self.products.expect(deal.pk for deal in deals)
        self.answers.expect(deal.pk for deal in deals)
        self.events.expect(deal.pk for deal in deals)

    @cached_property
    def users(self) -> BatchLoader[int, User | None]:
        def batch(ids: list[int]) -> dict[int, User | None]:
            found = {u.pk: u for u in User.objects.filter(group_id=self.group_id, pk__in=ids)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def accounts(self) -> BatchLoader[int, LocalCustomer | None]:
        """The BU's accounts, among those the caller may view (None otherwise)."""

        def batch(ids: list[int]) -> dict[int, LocalCustomer | None]:
            records = LocalCustomer.objects.filter(pk__in=ids)
            found = {a.pk: a for a in self.access.visible(LOCAL_CUSTOMER, records)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def stages(self) -> BatchLoader[int, Stage | None]:
        def batch(ids: list[int]) -> dict[int, Stage | None]:
            found = {s.pk: s for s in Stage.objects.filter(pk__in=ids)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def pipelines(self) -> BatchLoader[int, Pipeline | None]:
        def batch(ids: list[int]) -> dict[int, Pipeline | None]:
            found = {p.pk: p for p in Pipeline.objects.filter(pk__in=ids)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def close_reasons(self) -> BatchLoader[int, CloseReason | None]:
        def batch(ids: list[int]) -> dict[int, CloseReason | None]:
            found = {
                r.pk: r for r in CloseReason.objects.filter(group_id=self.group_id, pk__in=ids)
            }
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def products(self) -> BatchLoader[int, list[OpportunityProduct]]:
        def batch(ids: list[int]) -> dict[int, list[OpportunityProduct]]:
            found: dict[int, list[OpportunityProduct]] = {key: [] for key in ids}
            rows = list(OpportunityProduct.objects.filter(opportunity_id__in=ids).order_by("id"))
            for row in rows:
                found[row.opportunity_id].append(row)
            self.materials.expect(row.material_id for row in rows)
            return found

        return BatchLoader(batch)

    @cached_property
    def materials(self) -> BatchLoader[int, Material | None]:
        """Golden materials among those the caller may view (None otherwise)."""

        def batch(ids: list[int]) -> dict[int, Material | None]:
            records = Material.objects.filter(group_id=self.group_id, pk__in=ids).select_related(
                "category", "category__parent"
            )
            found = {m.pk: m for m in self.access.visible(MATERIAL, records)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def answers(self) -> BatchLoader[int, dict[int, ScoreAnswer]]:
        def batch(ids: list[int]) -> dict[int, dict[int, ScoreAnswer]]:
            found: dict[int, dict[int, ScoreAnswer]] = {key: {} for key in ids}
            for row in ScoreAnswer.objects.filter(opportunity_id__in=ids):
                found[row.opportunity_id][row.criterion_id] = row
            return found

        return BatchLoader(batch)

    @cached_property
    def events(self) -> BatchLoader[int, list[OpportunityEvent]]:
        def batch(ids: list[int]) -> dict[int, list[OpportunityEvent]]:
            found: dict[int, list[OpportunityEvent]] = {key: [] for key in ids}
            for row in OpportunityEvent.objects.filter(opportunity_id__in=ids).order_by("at", "id"):
                found[row.opportunity_id].append(row)
            return found

        return BatchLoader(batch)

    @cached_property
    def criteria(self) -> list[ScoreCriterion]:
        """The group's active scorecard criteria (one query per request)."""
        return list(
            ScoreCriterion.objects.filter(group_id=self.group_id, active=True).order_by(
                "position", "code"
            )
        )


def opportunity_loaders(info: graphene.ResolveInfo) -> OpportunityLoaders:
    """The request's deal loaders (made on first use)."""
    from crm.graphql.core.permissions import access_of

    context = info.context
    loaders: OpportunityLoaders | None = getattr(context, "_opportunity_loaders", None)
    if loaders is None:
        loaders = OpportunityLoaders(access_of(info))
        context._opportunity_loaders = loaders
    return loaders
