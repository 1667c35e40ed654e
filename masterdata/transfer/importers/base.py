"""What every importer shares: the columns it knows, the header check, the outcome of a chunk.

An importer takes the rows of a file chunk by chunk. Each chunk runs in one transaction; a row
is created, updated, left unchanged (nothing written, no history entry) or refused with a typed
error naming its column, and a refused row changes nothing. Rows are matched to records by their
code, so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.db import connection, models

from crm.i18n.languages import SUPPORTED
from crm.masterdata.transfer.tables import Row
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import ObjectType


def language_columns(field_name: str) -> dict[str, str]:
    """`name_en`, `name_zh_hans`… → language code, for a translated field."""
    return {f"{field_name}_{code.replace('-', '_')}": code for code in SUPPORTED}


def decimal_cell(value: str, column: str) -> Decimal:
    try:
        number = Decimal(value.replace(" ", ""))
    except InvalidOperation:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=column, reason="a number") from None
    if not number.is_finite():
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=column, reason="a number")
    return number


@dataclass
class RowFailure:
    line: int
    column: str
    error: CrmError


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[RowFailure] = field(default_factory=list)

    def fail(self, line: int, column: str, error: CrmError) -> None:
        self.failures.append(RowFailure(line, column, error))


class Importer(ABC):
    object_type: ClassVar[ObjectType]
    # Column → the policy field it writes; `required` must be in the header.
    columns: ClassVar[dict[str, str]]
    required: ClassVar[tuple[str, ...]]
    # Columns an export writes that an import reads past (e.g. a lifecycle status, which
    # only its own mutation changes): accepted in the header, never written.
    read_only: ClassVar[tuple[str, ...]] = ()

    def __init__(self, access: Access) -> None:
        self.access = access
        self.group_id = access.business_unit.group_id
        self.lines: dict[str, int] = {}  # each key read so far → its line in the file
        self.column = ""  # the column being read, named by a refusal

    @classmethod
    def export_header(cls) -> list[str]:
        return [*cls.columns, *cls.read_only]

    def check_header(self, header: Iterable[str]) -> list[str]:
        """The columns to read; INVALID_FILE for an unknown or a missing required column."""
        names = list(header)
        for name in names:
            if name not in self.columns and name not in self.read_only:
                known = ", ".join(self.export_header())
                raise CrmError(
                    ErrorCode.INVALID_FILE,
                    field="file",
                    reason=f"unknown column {name!r} (known: {known})",
                )
        for name in self.required:
            if name not in names:
                raise CrmError(
                    ErrorCode.INVALID_FILE, field="file", reason=f"the column {name!r} is missing"
                )
        return [name for name in names if name in self.columns]

    @abstractmethod
    def import_chunk(self, rows: list[Row], outcome: Outcome) -> None:
        """Create, update or refuse each row; refused rows go to `outcome`, unwritten."""

    def key_of(self, cells: dict[str, str]) -> str:
        """What identifies the row's record (its code, by default)."""
        return cells["code"]

    def first_use(self, cells: dict[str, str], line: int) -> str:
        """The row's key, unless an earlier row of the file already had it: one row per record,
        so that no row silently overrides another."""
        key = self.key_of(cells)
        earlier = self.lines.setdefault(key, line)
        if earlier != line:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="code", reason=f"{key!r} is on line {earlier} too"
            )
        return key

    @staticmethod
    def changed(record: Any, before: dict[str, Any], attributes: Iterable[str]) -> list[str]:
        return [name for name in attributes if getattr(record, name) != before.get(name)]


def copy_insert(model: type[models.Model], records: list[Any]) -> None:
    """Insert new records of a group-scoped model with a unique (group, code), by PostgreSQL
    COPY: the rows `bulk_create` would write, at a fraction of its per-row cost. Row triggers
    (the history) fire as for INSERT; the ids are read back by code and set on the records."""
    if not records:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        # Through Django's cursor first: django-pghistory prefixes this (non-SELECT) statement
        # with the history context (who, why), set for the transaction, where the COPY's
        # triggers read it.
        cursor.execute("SET LOCAL application_name = 'crm import'")
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for record in records:
                copy.write_row([f.pre_save(record, True) for f in fields])
        group_ids = {record.group_id for record in records}
        cursor.execute(
            f"SELECT code, id FROM {table} WHERE group_id = ANY(%s) AND code = ANY(%s)",  # noqa: S608
            [list(group_ids), [record.code for record in records]],
        )
        ids = dict(cursor.fetchall())
    for record in records:
        record.pk = ids[record.code]
        record._state.adding = False
        record._state.db = connection.alias
