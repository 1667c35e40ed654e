"""Credit holds and releases under the policy.

A hold's stage is its status: finance releases a WAITING hold (`approve` on it), managers and HQ
read them. A release has no stage; it is made only by approving a hold. The customer's
group-wide exposure (`customerCreditExposure`) is credit control's figure too: who may view
holds may ask for it (and must be able to read the golden customer's credit limit).
"""

from __future__ import annotations

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.creditcontrol import models


def _fields(*names: str) -> tuple[GovernedField, ...]:
    return tuple(GovernedField(name) for name in names)


FIGURES = ("customer", "amount", "exposure", "credit_limit", "missing_cells")

CREDIT_HOLD = register(
    ObjectType(
        name="credit_hold",
        model=models.CreditHold,
        graphql_type="CreditHold",
        fields=_fields("order", "status", "reason", *FIGURES, "attempts", "blocked_by", "release"),
        stages=tuple(models.HoldStatus.values),
        stage_field="status",
        group_field=None,
    )
)

CREDIT_RELEASE = register(
    ObjectType(
        name="credit_release",
        model=models.CreditRelease,
        graphql_type="CreditRelease",
        fields=_fields("order", "hold", *FIGURES, "comment", "released_by", "used_at"),
        group_field=None,
    )
)
