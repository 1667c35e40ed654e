"""Master-data types under the policy: their stages, governed fields and reach per business unit."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from crm.masterdata import models
from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.models import BusinessUnit


def _fields(*names: str) -> tuple[GovernedField, ...]:
    return tuple(GovernedField(name) for name in names)


MATERIAL = register(
    ObjectType(
        name="material",
        model=models.Material,
        graphql_type="Material",
        fields=_fields(
            "code",
            "name",
            "description",
            "unit",
            "status",
            "standard_cost",
            "price",
            "local_codes",
            "category",
        ),
        stages=tuple(models.MaterialStatus.values),
        stage_field="status",
    )
)


MATERIAL_CATEGORY = register(
    ObjectType(
        name="material_category",
        model=models.MaterialCategory,
        graphql_type="MaterialCategory",
        fields=_fields("code", "name", "parent"),
    )
)


def _list_applies(record: Any, business_unit: BusinessUnit) -> bool:
    price_list: models.PriceList = record
    return price_list.applies_to(business_unit)


PRICE_LIST = register(
    ObjectType(
        name="price_list",
        model=models.PriceList,
        graphql_type="PriceList",
        fields=_fields(
            "code", "name", "currency", "coverage", "status", "valid_from", "valid_to", "items"
        ),
        stages=tuple(models.PriceListStatus.values),
        stage_field="status",
        business_unit_filter=models.PriceList.applying_to,
        business_unit_holds=_list_applies,
    )
)


def _policy_of(business_unit: BusinessUnit) -> Q:
    return Q(business_unit=business_unit)


def _policy_holds(record: Any, business_unit: BusinessUnit) -> bool:
    return bool(record.business_unit_id == business_unit.pk)


SALES_POLICY = register(
    ObjectType(
        name="sales_policy",
        model=models.SalesPolicy,
        graphql_type="SalesPolicy",
        fields=_fields("business_unit", "role", "max_discount"),
        business_unit_filter=_policy_of,
        business_unit_holds=_policy_holds,
    )
)

EXCHANGE_RATE = register(
    ObjectType(
        name="exchange_rate",
        model=models.ExchangeRate,
        graphql_type="ExchangeRate",
        fields=_fields("base", "quote", "rate_type", "date", "rate", "source"),
    )
)
