"""Writing materials: typed, keyword-only, atomic, asked of the policy engine.

Each function takes the caller's `Access`; the engine decides, on the record as it is under a row
lock, whether the action and every field written are allowed. Nothing here checks a role.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from modeltranslation.utils import build_localized_fieldname

from crm.i18n import languages
from crm.masterdata.access import MATERIAL, MATERIAL_CATEGORY
from crm.masterdata.models import (
    Material,
    MaterialCategory,
    MaterialLocalCode,
    UnitOfMeasure,
)
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import AMOUNT_RULE, valid_amount
from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import ObjectType
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible, move_stage
from crm.tenants.models import BusinessUnit

CODE_LENGTH = 40
NAME_LENGTH = 200


def checked_code(value: str) -> str:
    code = value.strip()
    if not code or len(code) > CODE_LENGTH:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="code", reason=f"1 to {CODE_LENGTH} characters"
        )
    return code


def set_translations(record: Any, field: str, texts: Mapping[str, str], *, limit: int) -> None:
    for language, text in texts.items():
        code = languages.supported(language)
        if code is None or code != language:
            raise CrmError(ErrorCode.UNKNOWN_LANGUAGE, field=field, language=language)
        if len(text) > limit:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field=field, reason=f"at most {limit} characters"
            )
        setattr(record, build_localized_fieldname(field, code), text.strip())
    if field == "name" and not any(
        getattr(record, build_localized_fieldname(field, code)) for code in languages.SUPPORTED
    ):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason="give a name in one language"
        )


def checked_cost(value: Decimal | None) -> Decimal | None:
    if value is not None and not valid_amount(value):
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="standardCost", reason=AMOUNT_RULE)
    return value


def unique_code(object_type: ObjectType, record: Any, code: str) -> None:
    others = type(record).objects.filter(group_id=record.group_id, code=code).exclude(pk=record.pk)
    if others.exists():
        raise CrmError(ErrorCode.ALREADY_EXISTS, field="code", object=object_type.name, value=code)


# -- categories ---------------------------------------------------------------------------------


def category_by_code(group_id: int, code: str | None) -> MaterialCategory | None:
    if not code:
        return None
    found = MaterialCategory.objects.filter(group_id=group_id, code=code).first()
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="category", object="material category", id=code)
    return found


def category_create(
    *, access: Access, code: str, names: Mapping[str, str], parent: str | None = None
) -> MaterialCategory:
    access.require(
        Action.CREATE, MATERIAL_CATEGORY, ["code", "name", *(["parent"] if parent else [])]
    )
    group_id = access.business_unit.group_id
    category = MaterialCategory(
        group_id=group_id, code=checked_code(code), parent=category_by_code(group_id, parent)
    )
    set_translations(category, "name", names, limit=NAME_LENGTH)
    with transaction.atomic():
        unique_code(MATERIAL_CATEGORY, category, category.code)
        category.save()
    return category


# -- materials ----------------------------------------------------------------------------------


def _locked_material(access: Access, material_id: int) -> Material:
    """The caller's group's material, row-locked, if they may view it (else NOT_FOUND)."""
    return lock_visible(
        access,
        MATERIAL,
        Material.objects.filter(group_id=access.business_unit.group_id),
        material_id,
    )


def material_create(
    *,
    access: Access,
    code: str,
    unit: UnitOfMeasure,
    names: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
    standard_cost: Decimal | None = None,
    category: str | None = None,
) -> Material:
    written = ["code", "unit", "name"] + (["category"] if category else [])
    written += ["description"] if descriptions else []
    written += ["standard_cost"] if standard_cost is not None else []
    access.require(Action.CREATE, MATERIAL, written)
    material = Material(
        group_id=access.business_unit.group_id,
        code=checked_code(code),
        unit=unit,
        status=MATERIAL.initial_stage,  # created as a draft: the stage its creation was judged at
        standard_cost=checked_cost(standard_cost),
        category=category_by_code(access.business_unit.group_id, category),
    )
    set_translations(material, "name", names, limit=NAME_LENGTH)
    set_translations(material, "description", descriptions or {}, limit=10_000)
    with transaction.atomic():
        unique_code(MATERIAL, material, material.code)
        material.save()
    return material


def material_update(*, access: Access, material_id: int, changes: Mapping[str, Any]) -> Material:
    """`changes` maps governed fields (code, unit, name, description, standard_cost) to values;
    name and description are {language: text}."""
    with transaction.atomic():
        material = _locked_material(access, material_id)
        access.require(Action.EDIT, material, changes.keys())
        for field, value in changes.items():
            if field in ("name", "description"):
                set_translations(
                    material, field, value, limit=NAME_LENGTH if field == "name" else 10_000
                )
            elif field == "code":
                material.code = checked_code(value)
                unique_code(MATERIAL, material, material.code)
            elif field == "standard_cost":
                material.standard_cost = checked_cost(value)
            elif field == "unit":
                material.unit = value
            elif field == "category":
                material.category = category_by_code(material.group_id, value)
            else:
                raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason="not writable")
        material.save()
    return material


def material_set_local_code(
    *, access: Access, material_id: int, business_unit: str, code: str | None
) -> Material:
    """Map (or with no code, unmap) a BU's own code to a group material; unique in the BU."""
    with transaction.atomic():
        material = _locked_material(access, material_id)
        access.require(Action.EDIT, material, ["local_codes"])
        unit = BusinessUnit.objects.filter(group_id=material.group_id, code=business_unit).first()
        if unit is None:
            raise CrmError(
                ErrorCode.NOT_FOUND, field="businessUnit", object="business unit", id=business_unit
            )
        if not code:
            MaterialLocalCode.objects.filter(material=material, business_unit=unit).delete()
            return material
        local = checked_code(code)
        taken = MaterialLocalCode.objects.filter(business_unit=unit, code=local).exclude(
            material=material
        )
        if taken.exists():
            raise CrmError(ErrorCode.ALREADY_EXISTS, field="code", object="local code", value=local)
        MaterialLocalCode.objects.update_or_create(
            material=material, business_unit=unit, defaults={"code": local}
        )
    return material


def material_move(*, access: Access, material_id: int, action: str) -> Material:
    with transaction.atomic():
        material = _locked_material(access, material_id)
        return move_stage(access, MATERIAL, material, action)


def material_delete(*, access: Access, material_id: int) -> None:
    with transaction.atomic():
        material = _locked_material(access, material_id)
        access.require(Action.DELETE, material)
        try:
            with transaction.atomic():
                material.delete()
        except ProtectedError:
            raise CrmError(
                ErrorCode.IN_USE, field="id", object=MATERIAL.name, id=material.code
            ) from None
