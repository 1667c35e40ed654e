"""Golden customers under the policy: status is the stage; every BU reads the group's records."""

from __future__ import annotations

from crm.masterdata.customers.models import Customer, CustomerStatus
from crm.platform.permissions.registry import GovernedField, ObjectType, register

CUSTOMER = register(
    ObjectType(
        name="customer",
        model=Customer,
        graphql_type="Customer",
        fields=tuple(
            GovernedField(name)
            for name in (
                "code",
                "legal_name",
                "trade_name",
                "country",
                "tax_id",
                "industry",
                "size",
                "classification",
                "grade",
                "parent",
                "status",
                "credit_limit",
                "merged_into",
            )
        ),
        stages=tuple(CustomerStatus.values),
        stage_field="status",
    )
)
