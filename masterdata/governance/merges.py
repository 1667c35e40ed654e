"""Merging duplicate golden customers into a survivor, and redirecting every BU's references.

1. In one transaction, under row locks: each merged record becomes MERGED and points at the
   survivor (so old ids and codes still resolve); records that pointed at a merged one (earlier
   merges, subsidiaries) now point at the survivor; a `CustomerMerge` lists this cell's BUs.
2. After commit, one tenant-aware task per BU redirects that BU's local customer records. A BU
   that already had its own record of the survivor keeps it and takes over the merged record's
   local code as a former code. Each BU is then struck off the pending list.
3. `resume_merges` re-sends the tasks of merges with BUs still pending (a lost message, a worker
   that died). Redirecting twice changes nothing, so resuming is always safe.

Merged records are never deleted: no BU ever points at a customer that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import schema_context

from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import Customer, CustomerStatus
from crm.masterdata.governance.models import CustomerMerge, MergeStatus
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit

REASON_LENGTH = 500


def merge_customers(
    *, access: Access, survivor_id: int, merged_ids: Iterable[int], reason: str
) -> CustomerMerge:
    merged = sorted(set(merged_ids))
    if not merged or survivor_id in merged:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="merged",
            reason="one or more records other than the survivor",
        )
    if not reason.strip() or len(reason) > REASON_LENGTH:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="why", reason=f"1 to {REASON_LENGTH} characters"
        )
    group_id = access.business_unit.group_id
    with transaction.atomic():
        visible = access.visible(CUSTOMER, Customer.objects.filter(group_id=group_id))
        locked = {
            c.pk: c
            for c in visible.select_for_update(of=("self",)).filter(pk__in=[survivor_id, *merged])
        }
        for pk in (survivor_id, *merged):
            if pk not in locked:
                raise CrmError(ErrorCode.NOT_FOUND, field="merged", object=CUSTOMER.name, id=pk)
            if locked[pk].status == CustomerStatus.MERGED:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="merged",
                    reason=f"{locked[pk].code} was already merged",
                )
        access.require(Action.EDIT, locked[survivor_id])
        for pk in merged:
            access.require(Action.EDIT, locked[pk], ["status"])
        Customer.objects.filter(merged_into_id__in=merged).update(merged_into_id=survivor_id)
        Customer.objects.filter(parent_id__in=merged).update(parent_id=survivor_id)
        Customer.objects.filter(pk__in=merged).update(
            status=CustomerStatus.MERGED, merged_into_id=survivor_id
        )
        local_units = list(
            BusinessUnit.objects.filter(group_id=group_id, region_id=settings.REGION)
            .exclude(schema_name="public")
            .values_list("pk", flat=True)
        )
        merge = CustomerMerge.objects.create(
            group_id=group_id,
            survivor_id=survivor_id,
            merged_ids=merged,
            reason=reason.strip(),
            performed_by_id=access.principal.user_id,
            pending_business_units=local_units,
            status=MergeStatus.REDIRECTING if local_units else MergeStatus.DONE,
        )
        transaction.on_commit(lambda: send_redirects(merge))
    return merge


def send_redirects(merge: CustomerMerge) -> None:
    """One task per pending BU, sent from that BU's schema (the schema travels with it)."""
    from crm.masterdata.governance.tasks import redirect_customer_references

    for business_unit in BusinessUnit.objects.filter(pk__in=merge.pending_business_units):
        with schema_context(business_unit.schema_name):
            redirect_customer_references.delay(merge_id=merge.pk)


def redirect_in_business_unit(merge: CustomerMerge, business_unit: BusinessUnit) -> int:
    """Point this BU's local records of merged customers at the survivor. Returns rows moved."""
    moved = 0
    with schema_context(business_unit.schema_name), transaction.atomic():
        kept = (
            LocalCustomer.objects.select_for_update().filter(customer_id=merge.survivor_id).first()
        )
        for old in (
            LocalCustomer.objects.select_for_update()
            .filter(customer_id__in=merge.merged_ids)
            .order_by("local_code")
        ):
            if kept is None:
                old.customer_id = merge.survivor_id
                old.save(update_fields=["customer_id"])
                kept = old
            else:
                kept.former_codes = [*kept.former_codes, old.local_code, *old.former_codes]
                old.delete()
                kept.save(update_fields=["former_codes"])
            moved += 1
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {CustomerMerge._meta.db_table}
                    SET pending_business_units = array_remove(pending_business_units, %s),
                        status = CASE WHEN array_remove(pending_business_units, %s) = '{{}}'
                                      THEN %s ELSE status END
                    WHERE id = %s""",  # noqa: S608 - the table name comes from the model
                [business_unit.pk, business_unit.pk, MergeStatus.DONE.value, merge.pk],
            )
    return moved


def resume_merges() -> list[int]:
    """Re-send the redirect tasks of merges with BUs of this cell still pending."""
    resumed = []
    pending = CustomerMerge.objects.filter(status=MergeStatus.REDIRECTING).exclude(
        pending_business_units=[]
    )
    for merge in pending:
        send_redirects(merge)
        resumed.append(merge.pk)
    return resumed
