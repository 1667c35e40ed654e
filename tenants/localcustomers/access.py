"""A BU's local customer data under the policy: its own BU's people read and maintain it."""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.localcustomers.models import LocalCustomer

LOCAL_CUSTOMER = register(
    ObjectType(
        name="local_customer",
        model=LocalCustomer,
        graphql_type="LocalCustomer",
        fields=tuple(
            GovernedField(name)
            for name in ("local_code", "local_name", "payment_terms", "sales_owner", "former_codes")
        ),
        group_field=None,  # a record of the BU's own schema
    )
)
