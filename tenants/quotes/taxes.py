"""The BU's tax rates, kept as data: a code, a rate, what it applies to, a validity window.

Windows of the same code never overlap, nor do two default rates, nor two rates for the same
material category: on any day a line finds at most one rate by each route (see `TaxRate`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet

from crm.masterdata.models import MaterialCategory
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.quotes.access import TAX_RATE
from crm.tenants.quotes.models import TaxRate


def tax_rates(access: Access) -> QuerySet[TaxRate]:
    return access.visible(TAX_RATE, TaxRate.objects.all())


def _overlapping(valid_from: datetime.date, valid_to: datetime.date | None) -> Q:
    ends_after = Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    return ends_after if valid_to is None else ends_after & Q(valid_from__lte=valid_to)


def tax_rate_save(
    access: Access,
    *,
    code: str,
    name: str,
    rate: Decimal,
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    material_category: str = "",
    is_default: bool = False,
) -> TaxRate:
    """Create the rate `code` from `valid_from`, or change the one that starts that day."""
    code = (code or "").strip().lower()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 40:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="code", reason="letters, digits, - and _")
    if not (rate.is_finite() and 0 <= rate <= 100) or rate != rate.quantize(Decimal("0.001")):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="rate", reason="0 to 100, at most 3 decimal places"
        )
    if valid_to is not None and valid_to < valid_from:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="validTo", reason="before validFrom")
    category_id = None
    if material_category:
        category_id = (
            MaterialCategory.objects.filter(
                group_id=access.business_unit.group_id, code=material_category
            )
            .values_list("pk", flat=True)
            .first()
        )
        if category_id is None:
            raise CrmError(
                ErrorCode.NOT_FOUND,
                field="materialCategory",
                object="material category",
                id=material_category,
            )
    with transaction.atomic():
        # One writer at a time: the overlap checks below read what the others wrote.
        list(TaxRate.objects.select_for_update().all().values_list("pk", flat=True))
        record = TaxRate.objects.filter(code=code, valid_from=valid_from).first()
        fields = ["code", "name", "rate", "valid_from", "valid_to", "is_default"]
        if record is None:
            access.require(Action.CREATE, TAX_RATE, fields)
            record = TaxRate(code=code, valid_from=valid_from)
        else:
            access.require(Action.EDIT, record, fields)
        others = TaxRate.objects.exclude(pk=record.pk).filter(_overlapping(valid_from, valid_to))
        clashes = [
            ("validFrom", others.filter(code=code)),
            ("isDefault", others.filter(is_default=True) if is_default else None),
            (
                "materialCategory",
                others.filter(material_category_id=category_id) if category_id else None,
            ),
        ]
        for field, clash in clashes:
            other = clash.first() if clash is not None else None
            if other is not None:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field=field,
                    reason=f"overlaps rate {other.code} valid from {other.valid_from}",
                )
        record.name = (name or code).strip()[:200]
        record.rate = rate
        record.valid_to = valid_to
        record.material_category_id = category_id
        record.is_default = is_default
        record.save()
    return TaxRate.objects.get(pk=record.pk)
