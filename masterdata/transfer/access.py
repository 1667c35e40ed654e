"""Import and export jobs under the policy: a job is its starter's; stewards see the group's.

Starting a job needs `create` here; what the job may then read or write is judged on the
records themselves (create, edit or export of customers, materials, price lists), row by row.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from crm.masterdata.transfer.models import TransferJob
from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.models import BusinessUnit


def _started_in(business_unit: BusinessUnit) -> Q:
    return Q(business_unit=business_unit)


def _started_here(record: Any, business_unit: BusinessUnit) -> bool:
    return bool(record.business_unit_id == business_unit.pk)


TRANSFER_JOB = register(
    ObjectType(
        name="transfer_job",
        model=TransferJob,
        graphql_type="TransferJob",
        fields=tuple(
            GovernedField(name) for name in ("kind", "direction", "format", "file_name", "status")
        ),
        owner_field="created_by",
        business_unit_filter=_started_in,
        business_unit_holds=_started_here,
    )
)
