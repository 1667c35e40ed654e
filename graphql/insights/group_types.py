"""GraphQL types of the dashboards' group views: per BU rows, group totals, and per cell whether
it answered (the `GroupView` interface of graphql/groupviews)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.types import Money
from crm.graphql.groupviews.types import GroupView
from crm.graphql.insights.common import (
    DistributionShare,
    RoiFigures,
    country_name,
    grade_name,
    money,
    shares,
)
from crm.graphql.insights.types import RfmSegmentCode, RfmSegmentSummary, present_segment
from crm.graphql.ledger.types import AgingBuckets
from crm.regions.federation import insight_reports as reports
from crm.regions.federation.aggregates.receivables_aging import BUCKETS
from crm.regions.federation.reports import Report
from crm.tenants.insights.channel_roi import roi
from crm.tenants.insights.rfm import Segment, SegmentSummary


class BusinessUnitRow(graphene.Interface):
    """A row of one BU, from the cell that computed it."""

    region = graphene.String(required=True)
    business_unit = graphene.String(required=True, description="BU code.")
    business_unit_name = graphene.String(required=True)


def _row_head(report: Report, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "region": row["region"],
        "business_unit": row["business_unit"],
        "business_unit_name": report.name_of(row["business_unit"]),
    }


# -- channel ROI ------------------------------------------------------------------------------


class GroupChannelRoiRow(RoiFigures, graphene.ObjectType):
    """One BU's figures for one lead source."""

    class Meta:
        interfaces = (BusinessUnitRow,)

    source = graphene.String(description="Lead source code; null: none or unknown.")
    source_name = graphene.String()


class GroupChannelRoiSource(RoiFigures, graphene.ObjectType):
    """One source's figures in every BU that answered (null: none or unknown)."""

    source = graphene.String()
    source_name = graphene.String()


class GroupChannelRoi(graphene.ObjectType):
    """Campaign cost against won revenue per BU and lead source over the days `from` to `to`
    (cut where HQ is), in the group currency."""

    class Meta:
        interfaces = (GroupView,)

    from_ = graphene.Date(required=True, name="from")
    to = graphene.Date(required=True)
    currency = graphene.String(required=True)
    rows = graphene.List(graphene.NonNull(GroupChannelRoiRow), required=True)
    sources = graphene.List(graphene.NonNull(GroupChannelRoiSource), required=True)
    total = graphene.Field(GroupChannelRoiSource, required=True)

    @staticmethod
    def resolve_from_(root: reports.ChannelRoiReport, _info: graphene.ResolveInfo) -> object:
        return root.start

    @staticmethod
    def resolve_to(root: reports.ChannelRoiReport, _info: graphene.ResolveInfo) -> object:
        return root.end

    @staticmethod
    def resolve_rows(root: reports.ChannelRoiReport, _info: graphene.ResolveInfo) -> list[Any]:
        return group_roi_rows(root)

    @staticmethod
    def resolve_sources(root: reports.ChannelRoiReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [
            GroupChannelRoiSource(
                source=total.source,
                source_name=_source_name(root, total.source),
                **_figures(total, root.currency),
            )
            for total in root.sources
        ]

    @staticmethod
    def resolve_total(root: reports.ChannelRoiReport, _info: graphene.ResolveInfo) -> Any:
        return GroupChannelRoiSource(**_figures(root.total, root.currency))


def _source_name(report: reports.ChannelRoiReport, code: str | None) -> str | None:
    return report.source_names.get(code, code) if code else None


def _figures(values: Any, currency: str) -> dict[str, Any]:
    """The RoiFigures fields of a row (a dict) or a total (a SourceTotal)."""

    def get(name: str) -> Any:
        return values[name] if isinstance(values, dict) else getattr(values, name)

    revenue, cost = get("won_revenue"), get("cost")
    return {
        "leads": get("leads"),
        "converted": get("converted"),
        "won": get("won"),
        "won_revenue": money(revenue, currency),
        "without_group_amount": get("without_group_amount"),
        "campaigns": get("campaigns"),
        "cost": money(cost, currency),
        "campaigns_without_rate": get("campaigns_without_rate"),
        "roi": roi(revenue, cost),
    }


def group_roi_rows(report: reports.ChannelRoiReport) -> list[GroupChannelRoiRow]:
    return [
        GroupChannelRoiRow(
            **_row_head(report, row),
            source=row["source"],
            source_name=_source_name(report, row["source"]),
            **_figures(row, report.currency),
        )
        for row in report.rows
    ]


# -- customer distribution --------------------------------------------------------------------


class GroupDistributionRow(graphene.ObjectType):
    """One BU's accounts of one industry, country and grade."""

    class Meta:
        interfaces = (BusinessUnitRow,)

    industry = graphene.String()
    country = graphene.String()
    country_name = graphene.String()
    grade = graphene.String()
    grade_name = graphene.String()
    accounts = graphene.Int(required=True)


class GroupCustomerDistribution(graphene.ObjectType):
    """Accounts of every BU that answered by industry, country and grade (one account per BU
    and customer: a company served by two BUs counts in each)."""

    class Meta:
        interfaces = (GroupView,)

    total = graphene.Int(required=True)
    by_industry = graphene.List(graphene.NonNull(DistributionShare), required=True)
    by_country = graphene.List(graphene.NonNull(DistributionShare), required=True)
    by_grade = graphene.List(graphene.NonNull(DistributionShare), required=True)
    rows = graphene.List(graphene.NonNull(GroupDistributionRow), required=True)

    @staticmethod
    def resolve_total(root: reports.DistributionReport, _info: graphene.ResolveInfo) -> int:
        return root.distribution.total

    @staticmethod
    def resolve_by_industry(root: reports.DistributionReport, _i: graphene.ResolveInfo) -> Any:
        return _shares(root, "industry")

    @staticmethod
    def resolve_by_country(root: reports.DistributionReport, _i: graphene.ResolveInfo) -> Any:
        return _shares(root, "country")

    @staticmethod
    def resolve_by_grade(root: reports.DistributionReport, _i: graphene.ResolveInfo) -> Any:
        return _shares(root, "grade")

    @staticmethod
    def resolve_rows(root: reports.DistributionReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [
            GroupDistributionRow(
                **_row_head(root, row),
                industry=row["industry"],
                country=row["country"],
                country_name=country_name(row["country"]),
                grade=row["grade"],
                grade_name=grade_name(row["grade"]),
                accounts=row["accounts"],
            )
            for row in root.rows
        ]


def _shares(report: reports.DistributionReport, dimension: str) -> list[Any]:
    found = report.distribution
    return shares([(s.key, s.accounts) for s in found.by(dimension)], dimension, found.total)


# -- RFM segments -----------------------------------------------------------------------------


class GroupRfmRow(graphene.ObjectType):
    """One BU's customers in one segment (scored among that BU's customers)."""

    class Meta:
        interfaces = (BusinessUnitRow,)

    segment = graphene.Field(RfmSegmentCode, required=True)
    segment_name = graphene.String(required=True)
    customers = graphene.Int(required=True)
    orders = graphene.Int(required=True)
    monetary = graphene.Field(Money, required=True)
    average_recency_days = graphene.Decimal(required=True)


class GroupRfm(graphene.ObjectType):
    """Customers per RFM segment in every BU that answered, as of `asOf` over `months`."""

    class Meta:
        interfaces = (GroupView,)

    months = graphene.Int(required=True)
    currency = graphene.String(required=True)
    customer_count = graphene.Int(required=True)
    segments = graphene.List(graphene.NonNull(RfmSegmentSummary), required=True)
    rows = graphene.List(graphene.NonNull(GroupRfmRow), required=True)

    @staticmethod
    def resolve_customer_count(root: reports.RfmReport, _info: graphene.ResolveInfo) -> int:
        return root.customers

    @staticmethod
    def resolve_segments(root: reports.RfmReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [present_segment(s, root.currency, root.customers) for s in root.segments]

    @staticmethod
    def resolve_rows(root: reports.RfmReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [_group_rfm_row(root, row) for row in root.rows]


def _group_rfm_row(report: reports.RfmReport, row: dict[str, Any]) -> GroupRfmRow:
    summary = present_segment(
        SegmentSummary(
            Segment(row["segment"]),
            row["customers"],
            row["orders"],
            row["monetary"],
            row["recency_days"],
        ),
        report.currency,
        row["customers"],
    )
    return GroupRfmRow(
        **_row_head(report, row),
        segment=summary.segment,
        segment_name=summary.name,
        customers=summary.customers,
        orders=summary.orders,
        monetary=summary.monetary,
        average_recency_days=summary.average_recency_days,
    )


# -- receivables aging ------------------------------------------------------------------------


class GroupAgingRow(graphene.ObjectType):
    """One BU's open invoices by days past due, and its unapplied cash."""

    class Meta:
        interfaces = (BusinessUnitRow,)

    invoices = graphene.Int(required=True, description="Open invoices counted.")
    buckets = graphene.Field(AgingBuckets, required=True)
    unapplied = graphene.Field(Money, required=True)


class GroupReceivablesAging(graphene.ObjectType):
    """Receivables of every BU that answered by days past due, in the group currency, as of
    `asOf`; no customer is named (see `groupReceivables` for the exposure per customer)."""

    class Meta:
        interfaces = (GroupView,)

    currency = graphene.String(required=True)
    invoices = graphene.Int(required=True)
    total = graphene.Field(AgingBuckets, required=True)
    unapplied = graphene.Field(Money, required=True)
    rows = graphene.List(graphene.NonNull(GroupAgingRow), required=True)

    @staticmethod
    def resolve_invoices(root: reports.AgingReport, _info: graphene.ResolveInfo) -> int:
        return root.invoices

    @staticmethod
    def resolve_total(root: reports.AgingReport, _info: graphene.ResolveInfo) -> Any:
        return _buckets(root.buckets, root.currency)

    @staticmethod
    def resolve_unapplied(root: reports.AgingReport, _info: graphene.ResolveInfo) -> Any:
        return money(root.total("unapplied"), root.currency)

    @staticmethod
    def resolve_rows(root: reports.AgingReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [
            GroupAgingRow(
                **_row_head(root, row),
                invoices=row["invoices"],
                buckets=_buckets(row, root.currency),
                unapplied=money(row["unapplied"], root.currency),
            )
            for row in root.rows
        ]


def _buckets(values: dict[str, Any], currency: str) -> tuple[tuple[Decimal, ...], str]:
    """An AgingBuckets value (graphql/ledger): the amounts in the order of the buckets."""
    return (tuple(values[bucket] for bucket in BUCKETS), currency)
