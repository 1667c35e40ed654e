"""Helpers of the group-view tests: the HQ business unit, a cell's answer, signed requests."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

from django.test import override_settings

from crm.regions.federation import cell
from crm.regions.federation.contract import SIGNING_PURPOSE, AggregateRequest
from crm.regions.signing import sign
from crm.tenants.models import BusinessUnit, BusinessUnitKind


def make_headquarters(group: str = "acme", code: str = "hq") -> BusinessUnit:
    """The world builds every BU as a subsidiary: make acme.hq the group's HQ (rolled back)."""
    unit = BusinessUnit.objects.select_related("group").get(group__code=group, code=code)
    unit.kind = BusinessUnitKind.HEADQUARTERS
    unit.save(update_fields=["kind"])
    return unit


def answer_of(
    region: str,
    aggregate: str = "pipeline",
    *,
    group: str = "acme",
    parameters: dict[str, Any] | None = None,
    as_of: datetime.date | None = None,
) -> dict[str, Any]:
    """What the cell of `region` answers (computed here, acting as that cell)."""
    request = AggregateRequest(
        group, aggregate, parameters or {}, as_of or datetime.date.today(), region
    )
    with override_settings(REGION=region):
        return cell.answer(request)


def signed(request: AggregateRequest, **kwargs: Any) -> tuple[bytes, dict[str, str]]:
    body = request.to_bytes()
    return body, sign(body, purpose=SIGNING_PURPOSE, **kwargs)


def strings_in(value: Any) -> Iterator[str]:
    """Every key and string value anywhere in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, str):
        yield value


def as_json(answer: dict[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False)
