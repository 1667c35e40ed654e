"""The access and portability export: one JSON document for one person, from every business unit
of the group in this cell.

Its schema is documented in `export.schema.json` beside this module (JSON Schema, draft
2020-12); `FORMAT` and `VERSION` name it inside the document so that a receiver can tell which
schema applies. An access request (GDPR art. 15) also gets the access log of the person's
records and the retention periods that apply; a portability request (art. 20) gets the data
itself only.

Version 2 added `documents`: the quote-to-cash documents (quotes, contracts, orders, invoices,
credit notes, payments) whose texts mention the person, with those texts only and the legal
hold that would keep each from an erasure (see crm.tenants.personaldata.documents).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.regions.privacy.models import DataSubjectRequest, RequestKind, RetentionPolicy
from crm.tenants.models import BusinessUnit
from crm.tenants.personaldata import subjects
from crm.tenants.personaldata.identifiers import Identifier, IdentifierType

FORMAT = "crm.data-subject-export"
VERSION = 2
SCHEMA_PATH = Path(__file__).with_name("export.schema.json")
# The lists of records in each business unit's section.
SECTIONS = ("contacts", "leads", "activities", "consents", "documents")


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def record_count(document: dict[str, Any]) -> int:
    return sum(len(section[name]) for section in document["business_units"] for name in SECTIONS)


def build(request: DataSubjectRequest, units: list[BusinessUnit]) -> dict[str, Any]:
    """The export for `request` over `units` (the group's business units in this cell)."""
    identifier = Identifier(IdentifierType(request.identifier_type), request.identifier)
    with_log = request.kind == RequestKind.ACCESS
    sections = []
    for business_unit in units:
        with schema_context(business_unit.schema_name):
            found = subjects.find(identifier)
            if not found.empty:
                sections.append(subjects.describe(business_unit, found, with_access_log=with_log))
    group = request.group
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": timezone.now().isoformat(),
        "controller": {"group": group.code, "name": group.name},
        "request": {
            "id": to_global_id("DataSubjectRequest", str(request.pk)),
            "kind": request.kind,
            "received_at": request.received_at.isoformat(),
            "region": request.region_id,
            "identifier": {"type": request.identifier_type, "value": request.identifier},
        },
        "searched_business_units": [business_unit.handle for business_unit in units],
        "business_units": sections,
    }
    if with_log:
        document["retention"] = [
            {"record_type": policy.record_type, "months": policy.months}
            for policy in RetentionPolicy.objects.filter(
                group_id=request.group_id, region_id=request.region_id, active=True
            ).order_by("record_type")
        ]
    return document
