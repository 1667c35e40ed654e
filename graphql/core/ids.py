"""Global (Relay) ids: the primary key inside one, or a typed MALFORMED_ID error."""

from __future__ import annotations

from graphql_relay import from_global_id

from crm.platform.core.errors import CrmError, ErrorCode


def pk_of(kind: str, global_id: str, *, field: str = "id") -> int:
    """The primary key inside a global id of `kind`, or a typed MALFORMED_ID error."""
    try:
        found_kind, raw = from_global_id(global_id)
    except (ValueError, TypeError, UnicodeError):
        raise CrmError(ErrorCode.MALFORMED_ID, field=field, id=global_id) from None
    if found_kind != kind or not raw.isdigit():
        raise CrmError(ErrorCode.MALFORMED_ID, field=field, id=global_id)
    return int(raw)
