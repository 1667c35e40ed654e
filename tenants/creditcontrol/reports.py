"""A golden customer's group-wide exposure for finance (`customerCreditExposure`).

Who may view credit holds may ask for it (finance, managers, HQ by default), for a customer
whose credit limit they may read. Asked in any business unit: the figure is the customer's in
every BU of the group, from every cell, with each cell's answer (aggregates only: amounts per
BU, never a document or a person).
"""

from __future__ import annotations

from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import Customer
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.creditcontrol.access import CREDIT_HOLD
from crm.tenants.creditcontrol.exposure import CreditExposure, credit_exposure
from crm.tenants.models import BusinessUnit


def customer_credit_exposure(access: Access, customer_id: int) -> CreditExposure:
    """The customer's exposure now; NOT_FOUND for a customer of another group or one the
    caller may not view, PERMISSION_DENIED without credit control's view or the limit's."""
    access.require(Action.VIEW, CREDIT_HOLD)
    customer = (
        access.visible(CUSTOMER, Customer.objects.filter(group_id=access.business_unit.group_id))
        .select_related("group")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="customer", object="customer", id=customer_id)
    access.require(Action.VIEW, customer, ["credit_limit"])
    return credit_exposure(customer)


def business_unit_names(access: Access) -> dict[str, str]:
    """BU code -> name, of the caller's group."""
    return dict(
        BusinessUnit.objects.filter(group_id=access.business_unit.group_id).values_list(
            "code", "name"
        )
    )
