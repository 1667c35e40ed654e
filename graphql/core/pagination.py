"""Keyset pagination for Relay connections: `first` is required and capped, cursors are opaque.

Paging by a unique, ordered key (not OFFSET) keeps every page as cheap as the first, and a
record inserted meanwhile does not shift the pages a client is reading.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import graphene
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Model, Q, QuerySet
from graphene import relay

from crm.platform.core.errors import CrmError, ErrorCode

M = TypeVar("M", bound=Model)


def encode_cursor(kind: str, key: str, sort_value: object = None) -> str:
    payload = json.dumps([kind, key, None if sort_value is None else str(sort_value)])
    return base64.urlsafe_b64encode(payload.encode()).decode()


def decode_cursor(kind: str, cursor: str) -> tuple[str, str | None]:
    """(the unique key, the sort value or None) inside a cursor of `kind`."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (binascii.Error, UnicodeError, ValueError):
        raise CrmError(ErrorCode.INVALID_CURSOR, field="after", cursor=cursor) from None
    if (
        not isinstance(decoded, list)
        or len(decoded) != 3
        or decoded[0] != kind
        or not isinstance(decoded[1], str)
        or not decoded[1]
    ):
        raise CrmError(ErrorCode.INVALID_CURSOR, field="after", cursor=cursor)
    return decoded[1], decoded[2]


@dataclass(frozen=True)
class Ordering:
    """Sort by `field` (may repeat, may be null: nulls come last), then by the unique key."""

    field: str
    descending: bool = False


def _after(key: str, key_value: str, ordering: Ordering | None, sort_value: str | None) -> Q:
    if ordering is None:
        return Q(**{f"{key}__gt": key_value})
    field = ordering.field
    tie = Q(**{f"{key}__gt": key_value})
    if sort_value is None:  # already among the nulls at the end
        return Q(**{f"{field}__isnull": True}) & tie
    beyond = "lt" if ordering.descending else "gt"
    return (
        Q(**{f"{field}__{beyond}": sort_value})
        | (Q(**{field: sort_value}) & tie)
        | Q(**{f"{field}__isnull": True})
    )


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


def _nullable(queryset: QuerySet[M], name: str) -> bool:
    """Whether the ordering column may hold nulls (an annotation or a relation's: assume so)."""
    try:
        field = queryset.model._meta.get_field(name)
    except FieldDoesNotExist:
        return True
    return bool(getattr(field, "null", True))


def keyset_page(
    queryset: QuerySet[M],
    *,
    kind: str,
    key: str,
    first: int | None,
    after: str | None,
    ordering: Ordering | None = None,
) -> Page[M]:
    """One page of `queryset` ordered by `ordering` (if any), then by the unique field `key`."""
    size = page_size(first)
    if ordering is None:
        ordered = queryset.order_by(key)
    else:
        column = F(ordering.field)
        # Nulls last; for a column without nulls, the plain order, so that a plain index on it
        # (e.g. created_at DESC, id) serves the page instead of a sort of the whole table.
        nulls_last = True if _nullable(queryset, ordering.field) else None
        sort = (
            column.desc(nulls_last=nulls_last)
            if ordering.descending
            else column.asc(nulls_last=nulls_last)
        )
        ordered = queryset.order_by(sort, key)
    if after:
        key_value, sort_value = decode_cursor(kind, after)
        ordered = ordered.filter(_after(key, key_value, ordering, sort_value))
    rows = list(ordered[: size + 1])
    records = rows[:size]
    return Page(
        records=records,
        cursors=[
            encode_cursor(
                kind,
                str(getattr(record, key)),
                getattr(record, ordering.field) if ordering else None,
            )
            for record in records
        ],
        has_next_page=len(rows) > size,
        has_previous_page=bool(after),
        queryset=queryset,
    )


def connection_from_page(connection_type: type[Any], page: Page[M]) -> Any:
    """A Relay connection object of `connection_type` for one page, keeping the page for counts."""
    connection = connection_type(
        edges=[
            connection_type.Edge(node=record, cursor=cursor)
            for record, cursor in zip(page.records, page.cursors, strict=True)
        ],
        page_info=relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
    )
    connection.page = page
    return connection


class CountedConnection(relay.Connection):
    """A Relay connection that also says how many records match, across all pages."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True)

    @staticmethod
    def resolve_total_count(root: Any, _info: graphene.ResolveInfo) -> int:
        count: int = root.page.queryset.count()
        return count
