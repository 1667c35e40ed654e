"""Writing price lists: HQ's lists, their items and volume breaks, under the policy.

A live list never overlaps another live price of the same scope, currency and material: the
database refuses it and `no_overlap` turns that into PRICE_WINDOW_OVERLAP.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from crm.masterdata.access import MATERIAL, PRICE_LIST
from crm.masterdata.models import (
    Material,
    PriceBreak,
    PriceList,
    PriceListItem,
    PriceScope,
)
from crm.masterdata.services import NAME_LENGTH, checked_code, set_translations, unique_code
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import AMOUNT_RULE, valid_amount
from crm.platform.core.money import currency as currency_of
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible, move_stage
from crm.regions.models import Region
from crm.tenants.models import BusinessUnit

OVERLAP_CONSTRAINT = "price_windows_do_not_overlap"


@contextmanager
def no_overlap(price_list_id: int, field: str, material: str | None = None) -> Iterator[None]:
    """PRICE_WINDOW_OVERLAP, naming a material and the other list, when PostgreSQL's exclusion
    constraint refuses two live prices for one scope, currency, material and day."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if OVERLAP_CONSTRAINT not in str(error):
            raise
        clash = _first_overlap(price_list_id, material)
        raise CrmError(
            ErrorCode.PRICE_WINDOW_OVERLAP,
            field=field,
            material=clash.material.code if clash else material or "",
            other=clash.price_list.code if clash else "",
        ) from None


def _first_overlap(price_list_id: int, material: str | None) -> PriceListItem | None:
    """A live item of another list that the list (or one material on it) would overlap."""
    price_list = PriceList.objects.get(pk=price_list_id)
    columns = price_list.item_columns()
    on_list = (
        Q(material__code=material)
        if material
        else Q(material__in=price_list.items.values("material"))
    )
    return (
        PriceListItem.objects.filter(
            on_list,
            live=True,
            group_id=columns["group_id"],
            scope_key=columns["scope_key"],
            currency=columns["currency"],
            window__overlap=columns["window"],
        )
        .exclude(price_list=price_list)
        .select_related("material", "price_list")
        .order_by("material__code")
        .first()
    )


def _coverage(
    group_id: int, scope: PriceScope, region: str | None, business_unit: str | None
) -> tuple[Region | None, BusinessUnit | None]:
    if scope == PriceScope.GROUP:
        if region or business_unit:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="coverage",
                reason="a group list names no region or business unit",
            )
        return None, None
    if scope == PriceScope.REGION:
        found = Region.objects.filter(code=region or "").first()
        if found is None or business_unit:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="coverage", reason="name one existing region"
            )
        return found, None
    unit = BusinessUnit.objects.filter(group_id=group_id, code=business_unit or "").first()
    if unit is None or region:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="coverage",
            reason="name one business unit of the group",
        )
    return None, unit


def _window(valid_from: datetime.date, valid_to: datetime.date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="validTo", reason="before validFrom")


def price_list_create(
    *,
    access: Access,
    code: str,
    names: Mapping[str, str],
    currency: str,
    scope: PriceScope,
    region: str | None,
    business_unit: str | None,
    valid_from: datetime.date,
    valid_to: datetime.date | None,
) -> PriceList:
    access.require(
        Action.CREATE,
        PRICE_LIST,
        ["code", "name", "currency", "coverage", "valid_from", "valid_to"],
    )
    group_id = access.business_unit.group_id
    covered_region, covered_unit = _coverage(group_id, scope, region, business_unit)
    _window(valid_from, valid_to)
    price_list = PriceList(
        group_id=group_id,
        code=checked_code(code),
        currency=currency_of(currency, field="currency").code,
        scope=scope,
        region=covered_region,
        business_unit=covered_unit,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    set_translations(price_list, "name", names, limit=NAME_LENGTH)
    with transaction.atomic():
        unique_code(PRICE_LIST, price_list, price_list.code)
        price_list.save()
    return price_list


def _locked_list(access: Access, price_list_id: int) -> PriceList:
    return lock_visible(
        access,
        PRICE_LIST,
        PriceList.objects.filter(group_id=access.business_unit.group_id),
        price_list_id,
    )


def price_list_update(
    *, access: Access, price_list_id: int, changes: Mapping[str, Any]
) -> PriceList:
    """`changes` maps code, name ({language: text}), valid_from, valid_to to new values."""
    with transaction.atomic():
        price_list = _locked_list(access, price_list_id)
        access.require(Action.EDIT, price_list, changes.keys())
        for field, value in changes.items():
            if field == "name":
                set_translations(price_list, "name", value, limit=NAME_LENGTH)
            elif field == "code":
                price_list.code = checked_code(value)
                unique_code(PRICE_LIST, price_list, price_list.code)
            elif field in ("valid_from", "valid_to"):
                setattr(price_list, field, value)
            else:
                raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason="not writable")
        _window(price_list.valid_from, price_list.valid_to)
        with no_overlap(price_list.pk, "validFrom"):
            price_list.save()
    return price_list


def _check_breaks(code: str, breaks: list[tuple[Decimal, Decimal]]) -> None:
    quantities = [quantity for quantity, _amount in breaks]
    if len(set(quantities)) != len(quantities):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="items", reason=f"{code}: a quantity twice"
        )
    for quantity, amount in breaks:
        if not (quantity.is_finite() and 1 < quantity < 10**15) or not valid_amount(amount):
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="items",
                reason=f"{code}: breaks start above 1; amounts are {AMOUNT_RULE}",
            )


def price_list_set_items(
    *,
    access: Access,
    price_list_id: int,
    prices: Mapping[str, Decimal],
    breaks: Mapping[str, list[tuple[Decimal, Decimal]]] | None = None,
) -> PriceList:
    """Set the prices of materials (by group code) on a list; other items stay as they are.

    `breaks` gives, per material, its volume prices (from quantity, amount): given, they replace
    the material's breaks on this list; not given, the breaks stay.
    """
    breaks = breaks or {}
    with transaction.atomic():
        price_list = _locked_list(access, price_list_id)
        access.require(Action.EDIT, price_list, ["items"])
        materials = {
            m.code: m
            for m in Material.objects.filter(group_id=price_list.group_id, code__in=list(prices))
        }
        for code, amount in prices.items():
            if code not in materials:
                raise CrmError(ErrorCode.NOT_FOUND, field="items", object=MATERIAL.name, id=code)
            if not valid_amount(amount):
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="items",
                    reason=f"{code}: {AMOUNT_RULE}",
                )
            with no_overlap(price_list.pk, "items", code):
                item, _created = PriceListItem.objects.update_or_create(
                    price_list=price_list, material=materials[code], defaults={"amount": amount}
                )
            if code in breaks:
                _check_breaks(code, breaks[code])
                item.breaks.all().delete()
                PriceBreak.objects.bulk_create(
                    PriceBreak(item=item, min_quantity=quantity, amount=break_amount)
                    for quantity, break_amount in breaks[code]
                )
    return price_list


def price_list_move(*, access: Access, price_list_id: int, action: str) -> PriceList:
    with transaction.atomic(), no_overlap(price_list_id, "id"):
        return move_stage(access, PRICE_LIST, _locked_list(access, price_list_id), action)


def price_list_delete(*, access: Access, price_list_id: int) -> None:
    with transaction.atomic():
        price_list = _locked_list(access, price_list_id)
        access.require(Action.DELETE, price_list)
        price_list.delete()
