"""The one clock of automation: the engine and the time-based scan read `now()` from here.

Tests move time by passing `now` to the scan explicitly (`scan.scan_business_unit(bu, now=...)`)
or by patching this function; production reads Django's timezone-aware clock.
"""

from __future__ import annotations

import datetime

from django.utils import timezone


def now() -> datetime.datetime:
    return timezone.now()
