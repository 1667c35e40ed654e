"""Keyset pagination for Relay connections: `first` is required and capped, cursors are opaque.

Paging by a unique, ordered key (not OFFSET) keeps every page as cheap as the first, and a
record inserted meanwhile does not shift the pages a client is reading.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings
from django.db.models import Model, QuerySet

from crm.platform.core.errors import CrmError, ErrorCode

M = TypeVar("M", bound=Model)


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(kind: str, cursor: str) -> str:
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise CrmError(ErrorCode.INVALID_CURSOR, field="after", cursor=cursor) from None
    prefix, _colon, key = decoded.partition(":")
    if prefix != kind or not key:
        raise CrmError(ErrorCode.INVALID_CURSOR, field="after", cursor=cursor)
    return key


def page_size(first: int | None) -> int:
    limit: int = settings.GRAPHQL_MAX_PAGE_SIZE
    if first is None:
        raise CrmError(ErrorCode.PAGE_SIZE_REQUIRED, field="first")
    if first < 0:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="first", reason="must not be negative")
    if first > limit:
        raise CrmError(ErrorCode.PAGE_SIZE_TOO_LARGE, field="first", limit=limit)
    return first


@dataclass
class Page(Generic[M]):
    records: list[M]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    queryset: QuerySet[M]  # the filtered set, for totalCount


def keyset_page(
    queryset: QuerySet[M], *, kind: str, key: str, first: int | None, after: str | None
) -> Page[M]:
    """One page of `queryset` ordered by the unique field `key`."""
    size = page_size(first)
    ordered = queryset.order_by(key)
    if after:
        ordered = ordered.filter(**{f"{key}__gt": decode_cursor(kind, after)})
    rows = list(ordered[: size + 1])
    records = rows[:size]
    return Page(
        records=records,
        cursors=[encode_cursor(kind, str(getattr(record, key))) for record in records],
        has_next_page=len(rows) > size,
        has_previous_page=bool(after),
        queryset=queryset,
    )
