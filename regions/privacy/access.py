"""Data-subject requests and retention policies under the policy.

Both are the group's business in this cell, not one business unit's: only group-scope rules
reach them (a BU-scope rule reaches no request). On a request, `create` files one, `edit`
starts, rejects or fulfils it, `export` downloads an access or portability export. On retention
policies, `edit` also runs them by hand.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.regions.privacy import models
from crm.tenants.models import BusinessUnit


def _no_business_unit_reach(_business_unit: BusinessUnit) -> Q:
    return Q(pk__in=[])


def _never(_record: Any, _business_unit: BusinessUnit) -> bool:
    return False


DATA_SUBJECT_REQUEST = register(
    ObjectType(
        name="data_subject_request",
        model=models.DataSubjectRequest,
        graphql_type="DataSubjectRequest",
        fields=(
            GovernedField("identifier", personal=True),
            *(
                GovernedField(name)
                for name in (
                    "kind",
                    "status",
                    "received_at",
                    "deadline",
                    "note",
                    "handled_by",
                    "result",
                    "rejection_reason",
                )
            ),
        ),
        business_unit_filter=_no_business_unit_reach,
        business_unit_holds=_never,
    )
)

RETENTION_POLICY = register(
    ObjectType(
        name="retention_policy",
        model=models.RetentionPolicy,
        graphql_type="RetentionPolicy",
        fields=tuple(GovernedField(name) for name in ("record_type", "months", "active")),
        business_unit_filter=_no_business_unit_reach,
        business_unit_holds=_never,
    )
)
