"""Importing materials: rows matched by group code, validated as the API validates.

Columns: code (required), unit, name_<language>, description_<language>, category (its code),
standard_cost. `status` is exported and read past: a material's lifecycle moves by its own
mutations, and a new material starts as a draft. An empty name cell leaves that language's
name as it is; other empty cells clear the field.
"""

from __future__ import annotations

import copy
from typing import ClassVar

from modeltranslation.utils import build_localized_fieldname

from crm.masterdata.access import MATERIAL
from crm.masterdata.models import Material, MaterialCategory, UnitOfMeasure
from crm.masterdata.services import (
    NAME_LENGTH,
    checked_code,
    checked_cost,
    set_translations,
)
from crm.masterdata.transfer.importers.base import (
    Importer,
    Outcome,
    copy_insert,
    decimal_cell,
    language_columns,
)
from crm.masterdata.transfer.tables import Row
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.vocabulary import Action

NAMES = language_columns("name")
DESCRIPTIONS = language_columns("description")
NAME_ATTRIBUTES = tuple(build_localized_fieldname("name", code) for code in NAMES.values())
COMPARED = (
    "code",
    "unit",
    *NAME_ATTRIBUTES,
    *(build_localized_fieldname("description", code) for code in DESCRIPTIONS.values()),
    "category_id",
    "standard_cost",
)


class MaterialImporter(Importer):
    object_type = MATERIAL
    columns: ClassVar[dict[str, str]] = {
        "code": "code",
        "unit": "unit",
        **dict.fromkeys(NAMES, "name"),
        **dict.fromkeys(DESCRIPTIONS, "description"),
        "category": "category",
        "standard_cost": "standard_cost",
    }
    required = ("code",)
    read_only = ("status",)

    def import_chunk(self, rows: list[Row], outcome: Outcome) -> None:
        records = Material.objects.filter(group_id=self.group_id)
        wanted = records.filter(code__in={cells["code"] for _line, cells in rows})
        known = {m.code: m for m in wanted}
        visible = set(self.access.visible(MATERIAL, wanted).values_list("code", flat=True))
        categories = {
            c.code: c.pk
            for c in MaterialCategory.objects.filter(
                group_id=self.group_id,
                code__in={cells.get("category", "") for _line, cells in rows},
            )
        }
        new: list[Material] = []
        updates: list[tuple[Material, list[str]]] = []
        for line, cells in rows:
            column = "code"
            try:
                code = checked_code(self.first_use(cells, line))
                original = known.get(code)
                if original is not None and code not in visible:
                    raise CrmError(
                        ErrorCode.ALREADY_EXISTS, field="code", object=MATERIAL.name, value=code
                    )
                material = copy.copy(original) if original else self._new(code)
                before = {name: getattr(material, name) for name in COMPARED}
                for column in cells:
                    if column in self.columns:
                        self._set(material, column, cells[column], categories)
                column = "code"
                changed = self.changed(material, before, COMPARED)
                fields = sorted({self._policy_field(name) for name in changed})
                if original is None:
                    column = "unit"
                    if not material.unit:
                        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="unit", reason="required")
                    if not any(getattr(material, name) for name in NAME_ATTRIBUTES):
                        column = "name_en"
                        raise CrmError(
                            ErrorCode.INVALID_ARGUMENT,
                            field="name",
                            reason="give a name in one language",
                        )
                    self.access.require(Action.CREATE, MATERIAL, fields)
                    new.append(material)
                elif changed:
                    self.access.require(Action.EDIT, material, fields)
                    updates.append((material, changed))
                else:
                    outcome.unchanged += 1
            except CrmError as error:
                outcome.fail(line, column, error)
        copy_insert(Material, new)
        outcome.created += len(new)
        if updates:
            names = sorted({name for _m, changed in updates for name in changed})
            Material.objects.bulk_update([m for m, _c in updates], names, batch_size=500)
            outcome.updated += len(updates)

    def _new(self, code: str) -> Material:
        # Created as a draft: the stage its creation is judged at.
        return Material(group_id=self.group_id, code=code, status=MATERIAL.initial_stage)

    @staticmethod
    def _policy_field(attribute: str) -> str:
        for translated in ("name", "description"):
            if attribute.startswith(f"{translated}_"):
                return translated
        return "category" if attribute == "category_id" else attribute

    @staticmethod
    def _set(material: Material, column: str, value: str, categories: dict[str, int]) -> None:
        if column == "code":
            return
        if column == "unit":
            if value not in UnitOfMeasure.values:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="unit",
                    reason=f"one of {', '.join(UnitOfMeasure.values)}",
                )
            material.unit = value
        elif column in NAMES:
            if value:
                set_translations(material, "name", {NAMES[column]: value}, limit=NAME_LENGTH)
        elif column in DESCRIPTIONS:
            language = DESCRIPTIONS[column]
            setattr(material, build_localized_fieldname("description", language), value)
            if len(value) > 10_000:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field=column, reason="at most 10000 characters"
                )
        elif column == "category":
            if value and value not in categories:
                raise CrmError(
                    ErrorCode.NOT_FOUND, field="category", object="material category", id=value
                )
            material.category_id = categories.get(value) if value else None
        elif column == "standard_cost":
            material.standard_cost = checked_cost(decimal_cell(value, column)) if value else None
