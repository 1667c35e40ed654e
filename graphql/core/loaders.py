"""Per-request DataLoaders: one per relation, so SQL counts do not grow with page size.

graphene-django executes synchronously, so these loaders batch explicitly: a list resolver
announces the keys of its page with `expect(keys)`, and the first `load` fetches every
announced key in one batch. Results are cached for the rest of the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import Generic, TypeVar

from django.http import HttpRequest

from crm.masterdata.access import MATERIAL
from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import Customer
from crm.masterdata.models import Material, MaterialLocalCode, PriceListItem
from crm.masterdata.prices import ResolvedPrice, resolve_prices
from crm.platform.core.errors import CrmError
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit

K = TypeVar("K")
V = TypeVar("V")


class BatchLoader(Generic[K, V]):
    def __init__(self, batch: Callable[[list[K]], Mapping[K, V]]) -> None:
        self._batch = batch
        self._cache: dict[K, V] = {}
        self._pending: dict[K, None] = {}
        self.batches = 0

    def expect(self, keys: Iterable[K]) -> None:
        for key in keys:
            if key not in self._cache:
                self._pending[key] = None

    def prime(self, values: Mapping[K, V]) -> None:
        """Cache values already read with something else (e.g. joined into another statement)."""
        for key, value in values.items():
            self._cache.setdefault(key, value)
            self._pending.pop(key, None)

    def load(self, key: K) -> V:
        if key not in self._cache:
            self._pending[key] = None
            keys = list(self._pending)
            self._pending.clear()
            self.batches += 1
            self._cache.update(self._batch(keys))
        return self._cache[key]


class Loaders:
    """The DataLoaders of one request."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @property
    def business_unit(self) -> BusinessUnit:
        business_unit: BusinessUnit = self.request.tenant  # type: ignore[attr-defined]
        return business_unit

    @cached_property
    def price_today(self) -> BatchLoader[int, ResolvedPrice | CrmError]:
        business_unit = self.business_unit
        day = business_unit.today()
        return BatchLoader(
            lambda ids: resolve_prices(business_unit=business_unit, material_ids=ids, on=day)
        )

    @cached_property
    def price_list_items(self) -> BatchLoader[int, list[PriceListItem]]:
        def batch(ids: list[int]) -> dict[int, list[PriceListItem]]:
            found: dict[int, list[PriceListItem]] = {key: [] for key in ids}
            # Only items of materials the caller may view: a list never reveals the others.
            access = self.request.access  # type: ignore[attr-defined]
            materials = access.visible(
                MATERIAL, Material.objects.filter(group_id=self.business_unit.group_id)
            )
            items = (
                PriceListItem.objects.filter(price_list_id__in=ids, material__in=materials)
                .select_related("material", "price_list")
                .order_by("material__code")
            )
            for item in items:
                found[item.price_list_id].append(item)
            return found

        return BatchLoader(batch)

    @cached_property
    def customers(self) -> BatchLoader[int, Customer | None]:
        """Golden customers by id, among those the caller may view (None otherwise)."""

        def batch(ids: list[int]) -> dict[int, Customer | None]:
            access = self.request.access  # type: ignore[attr-defined]
            records = Customer.objects.filter(group_id=self.business_unit.group_id, pk__in=ids)
            found = {c.pk: c for c in access.visible(CUSTOMER, records)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)

    @cached_property
    def local_codes(self) -> BatchLoader[int, list[MaterialLocalCode]]:
        def batch(ids: list[int]) -> dict[int, list[MaterialLocalCode]]:
            found: dict[int, list[MaterialLocalCode]] = {key: [] for key in ids}
            codes = MaterialLocalCode.objects.filter(material_id__in=ids).select_related(
                "business_unit"
            )
            for local in codes.order_by("business_unit__code"):
                found[local.material_id].append(local)
            return found

        return BatchLoader(batch)

    @cached_property
    def local_customers(self) -> BatchLoader[int, LocalCustomer | None]:
        """This BU's own record of each golden customer (from the BU's schema), if any."""

        def batch(ids: list[int]) -> dict[int, LocalCustomer | None]:
            found = {r.customer_id: r for r in LocalCustomer.objects.filter(customer_id__in=ids)}
            return {key: found.get(key) for key in ids}

        return BatchLoader(batch)
