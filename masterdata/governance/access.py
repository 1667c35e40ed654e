"""Change requests under the policy: filers see their own, stewards decide them group-wide."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from crm.masterdata.governance.models import ChangeRequest, RequestStatus
from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.models import BusinessUnit


def _filed_in(business_unit: BusinessUnit) -> Q:
    return Q(business_unit=business_unit)


def _filed_here(record: Any, business_unit: BusinessUnit) -> bool:
    return bool(record.business_unit_id == business_unit.pk)


CHANGE_REQUEST = register(
    ObjectType(
        name="change_request",
        model=ChangeRequest,
        graphql_type="ChangeRequest",
        fields=tuple(
            GovernedField(name, personal=name == "filed_by")
            for name in ("customer", "proposed", "base", "reason", "status", "filed_by", "decision")
        ),
        stages=tuple(RequestStatus.values),
        stage_field="status",
        owner_field="filed_by",
        business_unit_filter=_filed_in,
        business_unit_holds=_filed_here,
    )
)
