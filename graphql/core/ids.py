"""Global (Relay) ids: the primary key inside one, or a typed MALFORMED_ID error.

A record kept in a business unit's own schema (a lead, a deal, a contact…) has an id that is
only unique within that BU: lead 5 of the German BU is not lead 5 of the Japanese one. Its
global id therefore names the BU too (`Lead:<BU id>.<pk>`, see `BusinessUnitScopedId`), and an
id of another BU's record is NOT_FOUND here, instead of silently meaning this BU's record with
the same number. A bare `Lead:<pk>` is read as a record of the request's BU.
"""

from __future__ import annotations

from typing import Any

import graphene
from django.db import connection
from graphql_relay import from_global_id, to_global_id

from crm.platform.core.errors import CrmError, ErrorCode


class BusinessUnitScopedId:
    """For Relay node types of records in a BU's schema: their global id names the BU."""

    @staticmethod
    def resolve_id(root: Any, info: graphene.ResolveInfo) -> str:
        return f"{info.context.tenant.pk}.{root.pk}"


def _current_business_unit_id() -> int | None:
    tenant = getattr(connection, "tenant", None)
    pk = getattr(tenant, "pk", None)
    return pk if isinstance(pk, int) else None


def pk_of(kind: str, global_id: str, *, field: str = "id") -> int:
    """The primary key inside a global id of `kind`, or a typed MALFORMED_ID error; for an id
    naming another business unit than the request's, NOT_FOUND."""
    try:
        found_kind, raw = from_global_id(global_id)
    except (ValueError, TypeError, UnicodeError):
        raise CrmError(ErrorCode.MALFORMED_ID, field=field, id=global_id) from None
    business_unit, dot, number = raw.rpartition(".")
    if found_kind != kind or not number.isdigit() or (dot and not business_unit.isdigit()):
        raise CrmError(ErrorCode.MALFORMED_ID, field=field, id=global_id)
    if dot and int(business_unit) != _current_business_unit_id():
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=kind, id=global_id)
    return int(number)


def scoped_global_id(kind: str, pk: int) -> str:
    """The global id of record `pk` of `kind` kept in the current business unit's schema."""
    business_unit = _current_business_unit_id()
    return to_global_id(kind, f"{business_unit}.{pk}" if business_unit is not None else str(pk))
