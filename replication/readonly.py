"""A write refused by a read-only replica, as the typed error READ_ONLY_REPLICA.

The refusal itself happens in the database (`triggers.py`): whatever path wrote the row, the
statement fails with SQLSTATE CRR01 and nothing changes. This module recognises that database
error, however Django wrapped it, so the API can answer with the typed error naming the group's
home region and its endpoint.
"""

from __future__ import annotations

import json

from crm.platform.core.errors import CrmError, ErrorCode
from crm.replication.triggers import READ_ONLY_SQLSTATE


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def read_only_error(error: BaseException) -> CrmError | None:
    """READ_ONLY_REPLICA if `error` (or what it wraps) is the replica's refusal, else None."""
    for candidate in _chain(error):
        if getattr(candidate, "sqlstate", None) != READ_ONLY_SQLSTATE:
            continue
        diag = getattr(candidate, "diag", None)
        detail: dict[str, object] = {}
        try:
            detail = json.loads(getattr(diag, "message_detail", None) or "{}")
        except ValueError:
            detail = {}
        return CrmError(
            ErrorCode.READ_ONLY_REPLICA,
            home_region=str(detail.get("home_region", "")),
            endpoint=str(detail.get("endpoint", "")),
        )
    return None
