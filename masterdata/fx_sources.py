"""Where exchange rates come from, pluggable: a source gives a group's rates for a day as CSV.

`FX_RATE_SOURCE` names the source class (dotted path) and `FX_RATE_SOURCE_OPTIONS` its keyword
arguments; the `crm.masterdata.fetch_fx_rates` task asks it every morning (Celery beat) for
each group homed in this cell and imports what it gives, all or nothing per file. The one
source shipped reads a drop folder that a treasury system or an ERP export writes to; a bank's
or a central bank's feed is another class with the same `fetch`.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from crm.tenants.models import Group


class RateSource(Protocol):
    name: str

    def fetch(self, group: Group, day: datetime.date) -> str | None:
        """The CSV (`date,base,quote,rate[,rate_type]`) for the day, or None if there is none."""


class DropFolderSource:
    """`<folder>/<group code>/<YYYY-MM-DD>.csv`, as another system leaves it."""

    name = "drop-folder"

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def fetch(self, group: Group, day: datetime.date) -> str | None:
        path = self.folder / group.code / f"{day.isoformat()}.csv"
        return path.read_text(encoding="utf-8") if path.is_file() else None


def configured_source() -> RateSource | None:
    dotted: str = getattr(settings, "FX_RATE_SOURCE", "")
    if not dotted:
        return None
    source_class = import_string(dotted)
    source: RateSource = source_class(**getattr(settings, "FX_RATE_SOURCE_OPTIONS", {}))
    return source
