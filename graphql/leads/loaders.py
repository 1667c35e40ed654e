"""The DataLoaders of the lead types, one per relation and request: a page of leads costs the
same statements whatever its size (the list resolver announces its keys with `expect`)."""

from __future__ import annotations

from functools import cached_property

import graphene

from crm.graphql.core.loaders import BatchLoader
from crm.masterdata.access import MATERIAL
from crm.masterdata.models import Material
from crm.masterdata.sales.models import LeadSource
from crm.platform.accounts.models import User
from crm.platform.permissions.engine import Access
from crm.tenants.leads.models import Campaign, Lead, LeadAssignment


class LeadLoaders:
    def __init__(self, access: Access) -> None:
        self.access = access
        self.group_id = access.business_unit.group_id

    def expect_page(self, leads: list[Lead]) -> None:
        """Announce every key a page of leads will load."""
        self.sources.expect(lead.source_id for lead in leads if lead.source_id)
        self.campaigns.expect(lead.campaign_id for lead in leads if lead.campaign_id)
        self.users.expect(lead.owner_id for lead in leads if lead.owner_id)
        self.assignments.expect(lead.pk for lead in leads)
        self.materials.expect(pk for lead in leads for pk in lead.product_ids)

    @cached_property
    def sources(self) -> BatchLoader[int, LeadSource | None]:
        def batch(ids: list[int]) -> dict[int, LeadSource | None]:
            found = {s.pk: s for s in LeadSource.objects.filter(group_id=self.group_id, pk__in=ids)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def campaigns(self) -> BatchLoader[int, Campaign | None]:
        def batch(ids: list[int]) -> dict[int, Campaign | None]:
            found = {c.pk: c for c in Campaign.objects.filter(pk__in=ids)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def users(self) -> BatchLoader[int, User | None]:
        def batch(ids: list[int]) -> dict[int, User | None]:
            found = {u.pk: u for u in User.objects.filter(group_id=self.group_id, pk__in=ids)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def assignments(self) -> BatchLoader[int, list[LeadAssignment]]:
        def batch(ids: list[int]) -> dict[int, list[LeadAssignment]]:
            found: dict[int, list[LeadAssignment]] = {key: [] for key in ids}
            rows = list(
                LeadAssignment.objects.filter(lead_id__in=ids)
                .select_related("rule")
                .order_by("at", "id")
            )
            for row in rows:
                found[row.lead_id].append(row)
            user_ids = {
                pk for row in rows for pk in (row.from_user_id, row.to_user_id, row.by_user_id)
            }
            self.users.expect(pk for pk in user_ids if pk is not None)
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


def lead_loaders(info: graphene.ResolveInfo) -> LeadLoaders:
    """The request's lead loaders (made on first use)."""
    from crm.graphql.core.permissions import access_of

    context = info.context
    loaders: LeadLoaders | None = getattr(context, "_lead_loaders", None)
    if loaders is None:
        loaders = LeadLoaders(access_of(info))
        context._lead_loaders = loaders
    return loaders
