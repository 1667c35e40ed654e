"""Consents under the policy: who may read a record's consents and who may record one.

Recording a consent needs `create` here and a view of the contact or lead it is about; reading
them needs `view` here. Consent records have no owner: their reach is the BU (or the group).
"""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.personaldata import models

CONSENT = register(
    ObjectType(
        name="consent",
        model=models.ConsentEvent,
        graphql_type="ConsentEvent",
        fields=(
            *(GovernedField(name) for name in ("purpose", "granted", "source", "at", "actor")),
            GovernedField("evidence", personal=True),
        ),
        group_field=None,
    )
)
