"""Refreshing a business unit's price book for a day."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction

from crm.masterdata.models import Material
from crm.masterdata.prices import ResolvedPrice, resolve_prices
from crm.tenants.db import tenant_connection
from crm.tenants.models import BusinessUnit
from crm.tenants.pricebook.models import PriceBookEntry

logger = logging.getLogger(__name__)


@dataclass
class RefreshResult:
    day: datetime.date
    priced: int = 0
    unpriced: dict[str, str] = field(default_factory=dict)  # material code -> error code


def refresh_price_book(*, business_unit: BusinessUnit, day: datetime.date) -> RefreshResult:
    """Resolve every material's price for `day` into the BU's own schema.

    Must run with the BU's schema active. A material without a valid price gets no entry for the
    day (a stale one is removed) and is named in the result, never priced at zero.
    """
    if tenant_connection().schema_name != business_unit.schema_name:
        raise RuntimeError(
            f"price book of {business_unit.schema_name} "
            f"refreshed from schema {tenant_connection().schema_name}"
        )
    materials = {m.pk: m for m in Material.objects.filter(group_id=business_unit.group_id)}
    resolved = resolve_prices(business_unit=business_unit, material_ids=materials, on=day)
    result = RefreshResult(day=day)
    with transaction.atomic():
        for material_id, outcome in resolved.items():
            material = materials[material_id]
            if not isinstance(outcome, ResolvedPrice):
                result.unpriced[material.code] = outcome.code.value
                PriceBookEntry.objects.filter(material_id=material_id, day=day).delete()
                continue
            conversion = outcome.conversion
            PriceBookEntry.objects.update_or_create(
                material_id=material_id,
                day=day,
                defaults={
                    "material_code": material.code,
                    "amount": outcome.price.amount,
                    "currency": outcome.price.currency.code,
                    "price_list_code": outcome.price_list_code,
                    "source_amount": outcome.source.amount,
                    "source_currency": outcome.source.currency.code,
                    "fx_rate": conversion.rate.rate if conversion else None,
                    "fx_rate_date": conversion.rate.date if conversion else None,
                },
            )
            result.priced += 1
    if result.unpriced:
        logger.warning(
            "price book %s %s: no price for %s", business_unit.schema_name, day, result.unpriced
        )
    return result
