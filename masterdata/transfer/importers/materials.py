"""Importing materials: rows matched by group code, validated as the API validates.

Columns: code (required), unit, name_<language>, description_<language>, category (its code),
standard_cost, local_codes (each business unit's own code: `de=ABC-1; jp=XYZ-9`, unique in
the BU; the cell gives the whole mapping, an empty cell removes it; a code moves to another
material when the row that frees it comes first). `status` is exported and read past: a
material's lifecycle moves by its own mutations, and a new material starts as a draft. An
empty name cell leaves that language's name as it is; other empty cells clear the field.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from modeltranslation.utils import build_localized_fieldname

from crm.masterdata.access import MATERIAL
from crm.masterdata.models import Material, MaterialCategory, MaterialLocalCode, UnitOfMeasure
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
from crm.tenants.models import BusinessUnit

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


class LocalCodes:
    """The BUs' own codes of a chunk's materials: as they are, as the file wants them, and who
    holds each code (in the database, or claimed by an earlier row of the file)."""

    def __init__(
        self,
        unit_ids: list[int],
        material_ids: list[int],
        codes: set[str],
        claimed: dict[tuple[int, str], str],
    ) -> None:
        self.current: dict[int, dict[int, str]] = {}
        for entry in MaterialLocalCode.objects.filter(material_id__in=material_ids):
            self.current.setdefault(entry.material_id, {})[entry.business_unit_id] = entry.code
        self.held = {
            (unit_id, code): material
            for unit_id, code, material in MaterialLocalCode.objects.filter(
                business_unit_id__in=unit_ids, code__in=codes
            ).values_list("business_unit_id", "code", "material__code")
        }
        self.claimed = claimed
        self.released: set[tuple[int, str]] = set()  # held before, freed by an earlier row
        self.wanted: dict[str, dict[int, str]] = {}  # material code → its whole mapping

    def holder(self, unit_id: int, code: str) -> str | None:
        """The code of the material holding `code` in the BU, if any (this file first)."""
        key = (unit_id, code)
        if key in self.claimed:
            return self.claimed[key]
        return None if key in self.released else self.held.get(key)

    def accept(self, material: Material) -> None:
        wanted = self.wanted.get(material.code)
        if wanted is None:
            return
        for unit_id, code in self.current.get(material.pk or 0, {}).items():
            if wanted.get(unit_id) != code:
                self.released.add((unit_id, code))
        for unit_id, code in wanted.items():
            self.claimed[(unit_id, code)] = material.code

    def refuse(self, material: str) -> None:
        self.wanted.pop(material, None)

    def save(self, materials: dict[str, Material]) -> None:
        """Replace the mappings that changed: removals first, so that codes may move between
        materials of one chunk."""
        changed = {code: codes for code, codes in self.wanted.items() if code in materials}
        MaterialLocalCode.objects.filter(
            material_id__in=[materials[code].pk for code in changed]
        ).delete()
        MaterialLocalCode.objects.bulk_create(
            MaterialLocalCode(material=materials[code], business_unit_id=unit_id, code=local)
            for code, codes in changed.items()
            for unit_id, local in codes.items()
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
        "local_codes": "local_codes",
    }
    required = ("code",)
    read_only = ("status",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units: dict[str, int] | None = None  # the group's BUs, by code
        self.claimed: dict[tuple[int, str], str] = {}  # (BU, local code) → material, this file

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
        mapped = self._mappings(rows, known)
        for line, cells in rows:
            column = "code"
            code = ""
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
                if "local_codes" in cells:
                    column = "local_codes"
                    wanted_codes = self._local_codes(cells["local_codes"], material, mapped)
                    if wanted_codes != mapped.current.get(material.pk or 0, {}):
                        changed.append("local_codes")
                        mapped.wanted[code] = wanted_codes
                    column = "code"
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
                mapped.accept(material)
            except CrmError as error:
                mapped.refuse(code)
                outcome.fail(line, column, error)
        copy_insert(Material, new)
        outcome.created += len(new)
        fields = sorted({name for _m, changed in updates for name in changed} - {"local_codes"})
        if fields:
            written = [m for m, changed in updates if set(changed) - {"local_codes"}]
            Material.objects.bulk_update(written, fields, batch_size=500)
        outcome.updated += len(updates)
        mapped.save({m.code: m for m in [*new, *(m for m, _c in updates)]})

    def _mappings(self, rows: list[Row], known: dict[str, Material]) -> LocalCodes:
        if self.units is None:
            self.units = dict(
                BusinessUnit.objects.filter(group_id=self.group_id).values_list("code", "pk")
            )
        codes = {
            entry.partition("=")[2].strip()
            for _line, cells in rows
            for entry in cells.get("local_codes", "").split(";")
        }
        material_ids = [m.pk for m in known.values()]
        return LocalCodes(list(self.units.values()), material_ids, codes, self.claimed)

    def _local_codes(self, cell: str, material: Material, mapped: LocalCodes) -> dict[int, str]:
        """The BU → code mapping a cell gives; refused if a code is another material's."""
        assert self.units is not None
        wanted: dict[int, str] = {}
        for entry in filter(None, (part.strip() for part in cell.split(";"))):
            unit, equals, code = (text.strip() for text in entry.partition("="))
            if not equals or not code:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="local_codes",
                    reason=f"{entry!r}: write business-unit=code, separated by ';'",
                )
            if unit not in self.units:
                raise CrmError(
                    ErrorCode.NOT_FOUND, field="local_codes", object="business unit", id=unit
                )
            if self.units[unit] in wanted:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="local_codes", reason=f"{unit!r} twice"
                )
            wanted[self.units[unit]] = checked_code(code)
        for unit_id, code in wanted.items():
            holder = mapped.holder(unit_id, code)
            if holder is not None and holder != material.code:
                raise CrmError(
                    ErrorCode.ALREADY_EXISTS, field="local_codes", object="local code", value=code
                )
        return wanted

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
        if column in ("code", "local_codes"):
            return  # the key; local codes are written after the material (LocalCodes)
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
