"""Exports under the policy: only records the caller may export, only cells they may read.

A cell whose field is hidden for that record is left empty; a caller without the export action
on any record of the type is refused with PERMISSION_DENIED. Large exports belong to a task.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import QuerySet

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import ObjectType
from crm.platform.permissions.vocabulary import Action, FieldMode

EXPORT_LIMIT = 10_000


def export_csv(
    access: Access,
    object_type: ObjectType,
    queryset: QuerySet[Any],
    columns: Mapping[str, Callable[[Any], object]],
) -> tuple[str, int]:
    access.require_some(Action.EXPORT, object_type)
    if queryset.count() > EXPORT_LIMIT:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="filter", reason=f"at most {EXPORT_LIMIT} rows"
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(columns))
    rows = 0
    for record in queryset.iterator(chunk_size=1000):
        permissions = access.on_record(object_type, record)
        if not permissions.allows(Action.EXPORT):
            continue
        cells = []
        for name, value_of in columns.items():
            if permissions.mode(name) < FieldMode.READ:
                cells.append("")
                continue
            if object_type.is_personal(name):
                access.read_personal(object_type, record.pk, name)
            value = value_of(record)
            cells.append("" if value is None else str(value))
        writer.writerow(cells)
        rows += 1
    return buffer.getvalue(), rows
