"""Retention policies of a group in this cell, and applying them to its business units here.

    plan(group_id)                                     # what would be anonymized now (no writes)
    run(group, dry_run=False, triggered_by="beat")     # anonymize it; stored as a RetentionRun

A policy says, for one kind of record (`RetentionRecordType`), after how many months without
use its personal data is anonymized. Each business unit is done in its own transaction, so a
large run does not hold one lock for the whole group; anonymized records are never selected
again, so a run interrupted half-way is finished by the next, and a repeated run changes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.regions.privacy.access import RETENTION_POLICY
from crm.regions.privacy.deadlines import add_months
from crm.regions.privacy.models import (
    ErasureRecord,
    RetentionPolicy,
    RetentionRun,
    SubjectExport,
)
from crm.regions.privacy.requests import erase_in, local_business_units
from crm.tenants.models import BusinessUnit, Group
from crm.tenants.personaldata import retention
from crm.tenants.personaldata.models import AnonymizationReason
from crm.tenants.personaldata.retention import RetentionRecordType
from crm.tenants.personaldata.subjects import Found

MIN_MONTHS, MAX_MONTHS = 1, 240


def _invalid(field: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=reason)


def visible_policies(access: Access) -> QuerySet[RetentionPolicy]:
    access.require_some(Action.VIEW, RETENTION_POLICY)
    return access.visible(
        RETENTION_POLICY, RetentionPolicy.objects.filter(region_id=settings.REGION)
    )


def _record_type(value: Any) -> RetentionRecordType:
    text = str(getattr(value, "value", value) or "")
    if text not in RetentionRecordType.values:
        raise _invalid("recordType", f"one of {', '.join(RetentionRecordType.values)}")
    return RetentionRecordType(text)


def policy_set(
    access: Access, *, record_type: Any, months: int, active: bool = True
) -> RetentionPolicy:
    """Create or change the group's policy for `record_type` in this region."""
    kind = _record_type(record_type)
    if isinstance(months, bool) or not isinstance(months, int):
        raise _invalid("months", "a whole number of months")
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise _invalid("months", f"{MIN_MONTHS} to {MAX_MONTHS}")
    group_id = access.business_unit.group_id
    with transaction.atomic():
        policy = (
            RetentionPolicy.objects.select_for_update()
            .filter(group_id=group_id, region_id=settings.REGION, record_type=kind)
            .first()
        )
        if policy is None:
            access.require(Action.CREATE, RETENTION_POLICY, ["record_type", "months", "active"])
            policy = RetentionPolicy(group_id=group_id, region_id=settings.REGION, record_type=kind)
        else:
            access.require(Action.EDIT, policy, ["months", "active"])
        policy.months = months
        policy.active = bool(active)
        policy.updated_at = timezone.now()
        policy.updated_by_id = access.principal.user_id
        policy.save()
    return policy


def policy_delete(access: Access, *, record_type: Any) -> None:
    kind = _record_type(record_type)
    with transaction.atomic():
        policy = visible_policies(access).select_for_update().filter(record_type=kind).first()
        if policy is None:
            raise CrmError(ErrorCode.NOT_FOUND, field="recordType", object="policy", id=kind)
        access.require(Action.DELETE, policy)
        policy.delete()


@dataclass(frozen=True)
class PlanEntry:
    business_unit: BusinessUnit
    record_type: RetentionRecordType
    months: int
    cutoff: datetime.datetime
    found: Found

    def as_report(self) -> dict[str, Any]:
        return {
            "business_unit": self.business_unit.handle,
            "record_type": self.record_type.value,
            "months": self.months,
            "cutoff": self.cutoff.isoformat(),
            "contacts": len(self.found.contact_ids),
            "leads": len(self.found.lead_ids),
            "activities": len(self.found.activity_ids),
            "documents": self.found.document_count(),
        }


def active_policies(group_id: int) -> list[RetentionPolicy]:
    return list(
        RetentionPolicy.objects.filter(
            group_id=group_id, region_id=settings.REGION, active=True
        ).order_by("record_type")
    )


def plan(group_id: int, *, now: datetime.datetime | None = None) -> list[PlanEntry]:
    """For each business unit of the group in this cell and each active policy: what has
    expired now. Reads only."""
    moment = now or timezone.now()
    policies = active_policies(group_id)
    entries = []
    for business_unit in local_business_units(group_id):
        for policy in policies:
            kind = RetentionRecordType(policy.record_type)
            cutoff = add_months(moment, -policy.months)
            with schema_context(business_unit.schema_name):
                found = retention.expired(kind, cutoff)
            entries.append(PlanEntry(business_unit, kind, policy.months, cutoff, found))
    return entries


def _locked_expired(entry: PlanEntry) -> Found:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"retention:{entry.business_unit.schema_name}"],
        )
    with schema_context(entry.business_unit.schema_name):
        return retention.expired(entry.record_type, entry.cutoff)


def run(
    group: Group,
    *,
    dry_run: bool,
    triggered_by: str,
    now: datetime.datetime | None = None,
) -> RetentionRun:
    """Apply (or, with `dry_run`, only report) the group's policies in this cell."""
    record = RetentionRun.objects.create(
        group=group, region_id=settings.REGION, dry_run=dry_run, triggered_by=triggered_by[:200]
    )
    reference = to_global_id("RetentionRun", str(record.pk))
    report = []
    for entry in plan(group.pk, now=now):
        report.append(entry.as_report())
        if dry_run or entry.found.empty:
            continue
        with transaction.atomic():
            # Two runs at once (two workers) must not both erase the same records: the second
            # waits here, then finds what the first left.
            found = _locked_expired(entry)
            if found.empty:
                continue
            erased, deliveries = erase_in(
                entry.business_unit,
                found,
                reason=AnonymizationReason.RETENTION,
                reference=reference,
                actor=triggered_by,
            )
            ErasureRecord.objects.create(
                run=record,
                business_unit=entry.business_unit,
                counts={**erased.counts, "record_type": entry.record_type.value},
                contact_ids=found.contact_ids,
                lead_ids=found.lead_ids,
                activity_ids=found.activity_ids,
                document_ids=erased.documents,
                webhook_deliveries=deliveries,
            )
    record.report = report
    record.finished_at = timezone.now()
    record.save(update_fields=["report", "finished_at"])
    return record


def run_cell(
    *, dry_run: bool, triggered_by: str, group_code: str | None = None
) -> list[RetentionRun]:
    """Every group with an active policy in this cell (or the one named)."""
    group_ids = RetentionPolicy.objects.filter(region_id=settings.REGION, active=True).values(
        "group_id"
    )
    groups = Group.objects.filter(pk__in=group_ids).order_by("code")
    if group_code is not None:
        groups = groups.filter(code=group_code)
    return [run(group, dry_run=dry_run, triggered_by=triggered_by) for group in groups]


def run_for(access: Access, *, dry_run: bool) -> RetentionRun:
    """A run of the caller's group started by hand (`edit` on retention policies)."""
    access.require_some(Action.EDIT, RETENTION_POLICY)
    group = Group.objects.get(pk=access.business_unit.group_id)
    return run(group, dry_run=dry_run, triggered_by=access.principal.label)


def purge_expired_exports(now: datetime.datetime | None = None) -> int:
    """Access exports past their download period: deleted."""
    deleted, _by_model = SubjectExport.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return deleted
