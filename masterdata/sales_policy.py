"""Sales policy: the largest discount each role of a BU may give without an approval."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from crm.masterdata.access import SALES_POLICY
from crm.masterdata.models import SalesPolicy
from crm.platform.accounts.models import Role
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.models import BusinessUnit


def sales_policy_set(
    *, access: Access, business_unit: str, role: str, max_discount: Decimal
) -> SalesPolicy:
    group_id = access.business_unit.group_id
    if not (max_discount.is_finite() and 0 <= max_discount <= 100):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="maxDiscount", reason="a percentage from 0 to 100"
        )
    if max_discount != max_discount.quantize(Decimal("0.01")):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="maxDiscount", reason="at most 2 decimal places"
        )
    unit = BusinessUnit.objects.filter(group_id=group_id, code=business_unit).first()
    if unit is None:
        raise CrmError(
            ErrorCode.NOT_FOUND, field="businessUnit", object="business unit", id=business_unit
        )
    held = Role.objects.filter(group_id=group_id, code=role).first()
    if held is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="role", object="role", id=role)
    with transaction.atomic():
        policy = (
            SalesPolicy.objects.select_for_update().filter(business_unit=unit, role=held).first()
        )
        if policy is None:
            access.require(Action.CREATE, SALES_POLICY, ["business_unit", "role", "max_discount"])
            policy = SalesPolicy(group_id=group_id, business_unit=unit, role=held)
        else:
            access.require(Action.EDIT, policy, ["max_discount"])
        policy.max_discount = max_discount
        policy.save()
    return policy


def max_discount(access: Access) -> Decimal:
    """The caller's limit here: the largest of their roles' in this BU (0 without a policy)."""
    roles = [grant.role_id for grant in access.grants]
    limits = SalesPolicy.objects.filter(
        business_unit=access.business_unit, role_id__in=roles
    ).values_list("max_discount", flat=True)
    return max(limits, default=Decimal(0))
