"""The dashboards' group views HQ asks for: channel ROI, customer distribution, RFM segments and
the receivables aging, each fanned out to the cells and added up here.

Like the other group views (`reports.py`): asked in the group's HQ business unit by someone the
policy lets view that aggregate (`group_view`), NOT_HEADQUARTERS anywhere else; the totals add up
the cells that answered, and the view lists the cells that did not.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crm.masterdata.sales.models import LeadSource
from crm.platform.permissions.engine import Access
from crm.regions.federation.aggregates.receivables_aging import BUCKETS
from crm.regions.federation.fanout import group_view
from crm.regions.federation.reports import Report, require_headquarters
from crm.tenants.insights.channel_roi import roi
from crm.tenants.insights.common import checked_period, not_ahead
from crm.tenants.insights.distribution import Distribution, DistributionCell
from crm.tenants.insights.rfm import Segment, SegmentSummary, checked_months
from crm.tenants.models import BusinessUnit, Group


def _names(group: Group) -> dict[str, str]:
    return dict(BusinessUnit.objects.filter(group=group).values_list("code", "name"))


# -- channel ROI ------------------------------------------------------------------------------

ROI_COUNTS = ("leads", "converted", "won", "without_group_amount", "campaigns")
ROI_MONEY = ("won_revenue", "cost")


@dataclass
class SourceTotal:
    """One source's figures in every BU that answered."""

    source: str | None
    leads: int = 0
    converted: int = 0
    won: int = 0
    won_revenue: Decimal = Decimal(0)
    without_group_amount: int = 0
    campaigns: int = 0
    cost: Decimal = Decimal(0)
    campaigns_without_rate: int = 0

    def add(self, row: dict[str, Any]) -> None:
        for name in (*ROI_COUNTS, *ROI_MONEY, "campaigns_without_rate"):
            setattr(self, name, getattr(self, name) + row[name])

    @property
    def roi(self) -> Decimal | None:
        return roi(self.won_revenue, self.cost)


@dataclass
class ChannelRoiReport(Report):
    start: datetime.date = datetime.date.min
    end: datetime.date = datetime.date.min
    rows: list[dict[str, Any]] = field(default_factory=list)
    sources: list[SourceTotal] = field(default_factory=list)
    total: SourceTotal = field(default_factory=lambda: SourceTotal(None))
    source_names: dict[str, str] = field(default_factory=dict)


def group_channel_roi(
    access: Access, *, start: datetime.date, end: datetime.date
) -> ChannelRoiReport:
    """Leads, won revenue and campaign cost per BU and source over the days `start` to `end`
    (cut where HQ is), and per source across the group, in the group currency."""
    group = require_headquarters(access, "channel_roi")
    checked_period(start, end)
    parameters = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "time_zone": access.business_unit.time_zone,
    }
    view = group_view(group, "channel_roi", parameters, as_of=access.business_unit.today())
    rows = sorted(view.rows, key=lambda r: (r["business_unit"], r["source"] or ""))
    sources: dict[str | None, SourceTotal] = {}
    total = SourceTotal(None)
    for row in rows:
        sources.setdefault(row["source"], SourceTotal(row["source"])).add(row)
        total.add(row)
    names = {
        source.code: str(source.name)
        for source in LeadSource.objects.filter(group=group, code__in=[s for s in sources if s])
    }
    return ChannelRoiReport(
        view=view,
        business_unit_names=_names(group),
        start=start,
        end=end,
        rows=rows,
        sources=sorted(
            sources.values(), key=lambda s: (-s.won_revenue, s.source is None, s.source or "")
        ),
        total=total,
        source_names=names,
    )


# -- customer distribution --------------------------------------------------------------------


@dataclass
class DistributionReport(Report):
    rows: list[dict[str, Any]] = field(default_factory=list)
    distribution: Distribution = field(default_factory=lambda: Distribution(cells=[]))


def group_customer_distribution(access: Access) -> DistributionReport:
    """Accounts per BU by industry, country and grade, and across the group (an account per
    BU: a company served by two BUs counts in each)."""
    group = require_headquarters(access, "customer_distribution")
    view = group_view(group, "customer_distribution", {}, as_of=access.business_unit.today())
    rows = sorted(
        view.rows,
        key=lambda r: (r["business_unit"], -r["accounts"], r["industry"] or "", r["country"] or ""),
    )
    cells: dict[tuple[str | None, str | None, str | None], int] = {}
    for row in rows:
        key = (row["industry"], row["country"], row["grade"])
        cells[key] = cells.get(key, 0) + row["accounts"]
    combined = [
        DistributionCell(industry, country, grade, accounts)
        for (industry, country, grade), accounts in sorted(
            cells.items(), key=lambda item: (-item[1], *(part or "" for part in item[0]))
        )
    ]
    return DistributionReport(
        view=view,
        business_unit_names=_names(group),
        rows=rows,
        distribution=Distribution(cells=combined),
    )


# -- RFM segments -----------------------------------------------------------------------------


@dataclass
class RfmReport(Report):
    months: int = 12
    rows: list[dict[str, Any]] = field(default_factory=list)
    segments: list[SegmentSummary] = field(default_factory=list)

    @property
    def customers(self) -> int:
        return sum(summary.customers for summary in self.segments)


def group_rfm(
    access: Access, *, as_of: datetime.date | None = None, months: int | None = None
) -> RfmReport:
    """Customers per RFM segment in each BU (scored among that BU's customers) and across the
    group, as of `as_of` (today at HQ by default) over a window of `months` (12)."""
    group = require_headquarters(access, "rfm")
    day = not_ahead(as_of, access.business_unit.today(), field="asOf")
    window = checked_months(months)
    view = group_view(group, "rfm", {"months": window}, as_of=day)
    order = {segment: index for index, segment in enumerate(Segment.values)}
    rows = sorted(view.rows, key=lambda r: (r["business_unit"], order[r["segment"]]))
    segments = {segment: SegmentSummary(Segment(segment)) for segment in Segment.values}
    for row in rows:
        segments[row["segment"]].add(
            row["customers"], row["orders"], row["monetary"], row["recency_days"]
        )
    return RfmReport(
        view=view,
        business_unit_names=_names(group),
        months=window,
        rows=rows,
        segments=list(segments.values()),
    )


# -- receivables aging ------------------------------------------------------------------------


@dataclass
class AgingReport(Report):
    rows: list[dict[str, Any]] = field(default_factory=list)

    def total(self, name: str) -> Decimal:
        return sum((row[name] for row in self.rows), Decimal(0))

    @property
    def invoices(self) -> int:
        return sum(row["invoices"] for row in self.rows)

    @property
    def buckets(self) -> dict[str, Decimal]:
        return {bucket: self.total(bucket) for bucket in BUCKETS}


def group_receivables_aging(access: Access, *, as_of: datetime.date | None = None) -> AgingReport:
    """Open invoices per BU by days past due, and unapplied cash, in the group currency, as of
    `as_of` (today at HQ by default), with the group's totals."""
    group = require_headquarters(access, "receivables_aging")
    day = not_ahead(as_of, access.business_unit.today(), field="asOf")
    view = group_view(group, "receivables_aging", {}, as_of=day)
    return AgingReport(
        view=view,
        business_unit_names=_names(group),
        rows=sorted(view.rows, key=lambda r: r["business_unit"]),
    )
