"""Helpers of the group-view tests: the HQ business unit, a cell's answer, signed requests."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.test import override_settings
from django.utils import timezone

from crm.regions.federation import cell
from crm.regions.federation.contract import SIGNING_PURPOSE, AggregateRequest, end_of_day
from crm.regions.signing import sign
from crm.tenants.models import BusinessUnit, BusinessUnitKind


def make_headquarters(group: str = "acme", code: str = "hq") -> BusinessUnit:
    """The world builds every BU as a subsidiary: make acme.hq the group's HQ (rolled back)."""
    unit = BusinessUnit.objects.select_related("group").get(group__code=group, code=code)
    unit.kind = BusinessUnitKind.HEADQUARTERS
    unit.save(update_fields=["kind"])
    return unit


HQ_ZONE = "Asia/Shanghai"  # acme.hq's


def hq_today() -> datetime.date:
    return timezone.now().astimezone(ZoneInfo(HQ_ZONE)).date()


def pipeline_at(day: datetime.date) -> dict[str, str]:
    """The pipeline's parameters for the end of `day` at HQ."""
    return {"at": end_of_day(day, HQ_ZONE).isoformat()}


def period(start: datetime.date, end: datetime.date) -> dict[str, str]:
    """The lead sources' parameters for the days `start` to `end` at HQ."""
    return {
        "since": end_of_day(start - datetime.timedelta(days=1), HQ_ZONE).isoformat(),
        "until": end_of_day(end, HQ_ZONE).isoformat(),
    }


def answer_of(
    region: str,
    aggregate: str = "pipeline",
    *,
    group: str = "acme",
    parameters: dict[str, Any] | None = None,
    as_of: datetime.date | None = None,
) -> dict[str, Any]:
    """What the cell of `region` answers (computed here, acting as that cell); the pipeline at
    the end of `as_of` (today) at HQ unless `parameters` say otherwise."""
    day = as_of or hq_today()
    if parameters is None:
        parameters = pipeline_at(day) if aggregate == "pipeline" else {}
    request = AggregateRequest(group, aggregate, parameters, day, region)
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
