"""The cell's side of a group view: compute an aggregate over this cell's BUs of one group.

Only business units homed in this cell (`region == settings.REGION`) are computed, each in its
own schema; the answer lists them so that HQ can see what was covered. The rows are checked
against the aggregate's declared fields before they leave, the same check HQ applies on arrival.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_tenants.utils import tenant_context

from crm.regions.federation.contract import (
    CONTRACT_VERSION,
    AggregateRequest,
    AggregateUnavailableError,
    Refusal,
    aggregate_named,
)
from crm.tenants.models import BusinessUnit, Group


class RefusedError(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def answer(request: AggregateRequest) -> dict[str, Any]:
    """This cell's answer (JSON-ready). Refused for another cell or a group it does not know;
    ContractError for an unknown aggregate or bad parameters."""
    if request.region != settings.REGION:
        raise RefusedError(Refusal.OTHER_CELL)
    group = Group.objects.filter(code=request.group).first()
    if group is None:
        raise RefusedError(Refusal.GROUP_NOT_FOUND)
    aggregate = aggregate_named(request.aggregate)
    parameters = aggregate.clean_parameters(request.parameters)
    units = list(
        BusinessUnit.objects.filter(group=group, region_id=settings.REGION)
        .select_related("group")
        .order_by("code")
    )
    head: dict[str, Any] = {
        "contract": CONTRACT_VERSION,
        "region": settings.REGION,
        "group": group.code,
        "aggregate": aggregate.name,
        "as_of": request.as_of.isoformat(),
        "currency": group.currency,
        "business_units": [unit.code for unit in units],
    }
    try:
        aggregate.check_available(group)
        rows: list[dict[str, Any]] = []
        for unit in units:
            with tenant_context(unit):
                rows.extend(aggregate.rows_for(unit, parameters, request.as_of))
    except AggregateUnavailableError as unavailable:
        return {**head, "available": False, "reason": unavailable.reason, "rows": []}
    aggregate.read_rows(rows)  # nothing outside the declared fields leaves the cell
    return {**head, "available": True, "reason": "", "rows": rows}
