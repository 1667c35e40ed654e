"""The group views HQ asks for: who may, where, and how the cells' rows add up.

A group view is asked in the group's headquarters business unit (kind HQ, homed in the group's
home cell) by someone the policy lets view it (`group_view`, one field per aggregate); anywhere
else it is NOT_HEADQUARTERS. The totals below add up the rows of the cells that answered; the
view says which cells are missing, so a total over fewer cells is never taken for the whole.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from moneyed import Money

from crm.masterdata.customers.models import Customer
from crm.masterdata.sales.models import LeadSource
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.regions.federation.access import GROUP_VIEW
from crm.regions.federation.aggregates.lead_sources import MAX_DAYS
from crm.regions.federation.aggregates.receivables import NO_PROVIDER
from crm.regions.federation.contract import CellStatus, end_of_day
from crm.regions.federation.fanout import GroupView, group_view
from crm.tenants.models import BusinessUnit, BusinessUnitKind, Group


def require_headquarters(access: Access, aggregate: str) -> Group:
    """The caller's group, when the caller may view `aggregate` group-wide from here."""
    access.require(Action.VIEW, GROUP_VIEW, [aggregate])
    business_unit = access.business_unit
    group: Group = business_unit.group
    if (
        business_unit.kind != BusinessUnitKind.HEADQUARTERS
        or business_unit.region_id != group.home_region_id
        or group.home_region_id != settings.REGION
    ):
        headquarters = (
            BusinessUnit.objects.filter(group=group, kind=BusinessUnitKind.HEADQUARTERS)
            .order_by("code")
            .first()
        )
        raise CrmError(
            ErrorCode.NOT_HEADQUARTERS,
            headquarters=headquarters.handle if headquarters else "-",
            region=group.home_region_id,
        )
    return group


def _names(group: Group) -> dict[str, str]:
    return dict(BusinessUnit.objects.filter(group=group).values_list("code", "name"))


def _as_of(access: Access, as_of: datetime.date | None, argument: str = "asOf") -> datetime.date:
    today = access.business_unit.today()
    if as_of is None:
        return today
    if as_of > today:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=argument, reason=f"not after {today}")
    return as_of


@dataclass
class Report:
    """What every group view says besides its figures: what was asked and who answered."""

    view: GroupView
    business_unit_names: dict[str, str]

    @property
    def group(self) -> Group:
        return self.view.group

    @property
    def as_of(self) -> datetime.date:
        return self.view.as_of

    @property
    def complete(self) -> bool:
        return self.view.complete

    @property
    def missing_regions(self) -> list[str]:
        return self.view.missing_regions

    @property
    def cells(self) -> list[Any]:
        return list(self.view.cells)

    @property
    def currency(self) -> str:
        return str(self.view.group.currency)

    def money(self, amount: Decimal) -> Money:
        return Money(amount, self.currency)

    def name_of(self, business_unit: str) -> str:
        return self.business_unit_names.get(business_unit, business_unit)


# -- pipeline ---------------------------------------------------------------------------------


@dataclass
class PipelineTotal:
    count: int = 0
    amount: Decimal = Decimal(0)
    without_group_amount: int = 0

    def add(self, row: dict[str, Any]) -> None:
        self.count += row["count"]
        self.amount += row["amount"]
        self.without_group_amount += row["without_group_amount"]


@dataclass
class StageTotal(PipelineTotal):
    stage: str = ""
    stage_template: str | None = None
    position: int = 0


@dataclass
class PipelineReport(Report):
    rows: list[dict[str, Any]] = field(default_factory=list)
    stages: list[StageTotal] = field(default_factory=list)
    total: PipelineTotal = field(default_factory=PipelineTotal)


def group_pipeline(access: Access, *, as_of: datetime.date | None = None) -> PipelineReport:
    """Open deals per BU and stage, and per stage across the group, in the group currency, at
    the end of `as_of` where HQ is (every cell cut at that one instant)."""
    group = require_headquarters(access, "pipeline")
    day = _as_of(access, as_of)
    at = end_of_day(day, access.business_unit.time_zone)
    view = group_view(group, "pipeline", {"at": at.isoformat()}, as_of=day)
    rows = sorted(view.rows, key=lambda r: (r["business_unit"], r["pipeline"], r["position"]))
    stages: dict[str, StageTotal] = {}
    total = PipelineTotal()
    for row in rows:
        stage = stages.setdefault(
            row["stage"],
            StageTotal(
                stage=row["stage"], stage_template=row["stage_template"], position=row["position"]
            ),
        )
        stage.add(row)
        total.add(row)
    return PipelineReport(
        view=view,
        business_unit_names=_names(group),
        rows=rows,
        stages=sorted(stages.values(), key=lambda s: (s.position, s.stage)),
        total=total,
    )


# -- lead sources -----------------------------------------------------------------------------

LEAD_COUNTS = ("leads", "open", "converted", "invalid", "won")


@dataclass
class LeadSourceReport(Report):
    start: datetime.date = datetime.date.min
    end: datetime.date = datetime.date.min
    rows: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    source_names: dict[str, str] = field(default_factory=dict)


def group_lead_sources(
    access: Access, *, start: datetime.date, end: datetime.date
) -> LeadSourceReport:
    """Leads created from `start` to `end` (days at HQ, both included) per BU and source, and
    per source."""
    group = require_headquarters(access, "lead_sources")
    if start > end:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="from", reason="after “to”")
    if (end - start).days > MAX_DAYS:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="from", reason=f"a period of at most {MAX_DAYS} days"
        )
    time_zone = access.business_unit.time_zone
    since = end_of_day(start - datetime.timedelta(days=1), time_zone)
    until = end_of_day(end, time_zone)
    view = group_view(
        group,
        "lead_sources",
        {"since": since.isoformat(), "until": until.isoformat()},
        as_of=access.business_unit.today(),
    )
    rows = sorted(view.rows, key=lambda r: (r["business_unit"], r["source"] or ""))
    sources: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        totals = sources.setdefault(
            row["source"], {"source": row["source"], **dict.fromkeys(LEAD_COUNTS, 0)}
        )
        for name in LEAD_COUNTS:
            totals[name] += row[name]
    names = {
        source.code: str(source.name)
        for source in LeadSource.objects.filter(group=group, code__in=[s for s in sources if s])
    }
    return LeadSourceReport(
        view=view,
        business_unit_names=_names(group),
        start=start,
        end=end,
        rows=rows,
        sources=sorted(sources.values(), key=lambda s: (-s["leads"], s["source"] or "")),
        source_names=names,
    )


# -- receivables ------------------------------------------------------------------------------


@dataclass
class CustomerExposureTotal:
    customer: str
    open_receivables: Decimal = Decimal(0)
    open_orders: Decimal = Decimal(0)

    @property
    def exposure(self) -> Decimal:
        return self.open_receivables + self.open_orders


@dataclass
class ReceivablesReport(Report):
    rows: list[dict[str, Any]] = field(default_factory=list)
    customers: list[CustomerExposureTotal] = field(default_factory=list)
    customer_names: dict[str, str] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        """Whether any cell could compute it (else there is no figure at all, not zero)."""
        return any(cell.status is CellStatus.OK for cell in self.view.cells)

    @property
    def unavailable_reasons(self) -> list[str]:
        return sorted(
            {cell.detail for cell in self.view.cells if cell.status is CellStatus.UNAVAILABLE}
        )


def _by_customer(rows: Iterable[dict[str, Any]]) -> list[CustomerExposureTotal]:
    totals: dict[str, CustomerExposureTotal] = {}
    for row in rows:
        total = totals.setdefault(row["customer"], CustomerExposureTotal(row["customer"]))
        total.open_receivables += row["open_receivables"]
        total.open_orders += row["open_orders"]
    return sorted(totals.values(), key=lambda t: (-t.exposure, t.customer))


def group_receivables(access: Access, *, as_of: datetime.date | None = None) -> ReceivablesReport:
    """Open receivables and orders per golden customer across the group (credit exposure).

    Each cell's ledger provides the figures; a cell without a provider answers UNAVAILABLE
    (NO_PROVIDER), never zeros."""
    group = require_headquarters(access, "receivables")
    view = group_view(group, "receivables", {}, as_of=_as_of(access, as_of))
    rows = sorted(view.rows, key=lambda r: (r["customer"], r["business_unit"]))
    customers = _by_customer(rows)
    names = dict(
        Customer.objects.filter(group=group, code__in=[c.customer for c in customers]).values_list(
            "code", "legal_name"
        )
    )
    return ReceivablesReport(
        view=view,
        business_unit_names=_names(group),
        rows=rows,
        customers=customers,
        customer_names=names,
    )


__all__ = ["NO_PROVIDER", "group_lead_sources", "group_pipeline", "group_receivables"]
