"""Keeping a BU's own record of a golden customer: local code (unique in the BU), name, terms."""

from __future__ import annotations

from django.db import transaction

from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.services import group_customers
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import LocalCustomer


def local_customer_set(
    *,
    access: Access,
    customer_id: int,
    local_code: str,
    local_name: str = "",
    payment_terms: str = "",
) -> LocalCustomer:
    """Create or update this BU's record of a golden customer it may view."""
    fields = ["local_code", "local_name", "payment_terms"]
    customer = access.visible(CUSTOMER, group_customers(access)).filter(pk=customer_id).first()
    if customer is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="customer", object=CUSTOMER.name, id=customer_id)
    code = local_code.strip()
    if not code or len(code) > 40:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="localCode", reason="1 to 40 characters")
    with transaction.atomic():
        record = LocalCustomer.objects.select_for_update().filter(customer_id=customer.pk).first()
        if record is None:
            access.require(Action.CREATE, LOCAL_CUSTOMER, fields)
            record = LocalCustomer(customer_id=customer.pk)
        else:
            access.require(Action.EDIT, record, fields)
        if LocalCustomer.objects.filter(local_code=code).exclude(pk=record.pk).exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS, field="localCode", object="local customer", value=code
            )
        record.local_code = code
        record.local_name = local_name.strip()[:300]
        record.payment_terms = payment_terms.strip()[:100]
        record.save()
    return record
