"""The BU account (a BU's view of a golden customer) under the policy: its own BU's people read
and maintain it; its owner is its sales owner."""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.localcustomers.models import LocalCustomer

LOCAL_CUSTOMER = register(
    ObjectType(
        name="local_customer",
        model=LocalCustomer,
        graphql_type="Account",
        fields=tuple(
            GovernedField(name)
            for name in (
                "local_code",
                "local_name",
                "payment_terms",
                "sales_owner",
                "former_codes",
                "classification",
                "notes",
                "last_follow_up_at",
                "customer",
                "contacts",
                "activities",
                "open_opportunities",
                "closed_opportunities",
                "tasks",
                "custom_fields",
            )
        ),
        group_field=None,  # a record of the BU's own schema
        owner_field="sales_owner",
    )
)
