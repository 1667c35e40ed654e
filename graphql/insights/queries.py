"""The dashboards' queries: the BU's own (asked in the BU, scoped by the policy's `insight`
type) and their group-wide versions (asked in the group's HQ business unit, fanned out)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

import graphene

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.permissions import caller
from crm.graphql.insights.group_types import (
    GroupChannelRoi,
    GroupCustomerDistribution,
    GroupReceivablesAging,
    GroupRfm,
)
from crm.graphql.insights.types import (
    ChannelRoi,
    CustomerDistribution,
    RfmSegments,
    present_channel_roi,
    present_distribution,
)
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.regions.federation import insight_reports
from crm.tenants.insights import channel_roi, distribution, rfm

T = TypeVar("T")

PERIOD = "Days `from` to `to`, both included (at most 3,660 days)."
AS_OF = "Reporting date (default: today); not ahead."
MONTHS = "The window before `asOf`, in months (default 12, 1 to 120)."


def _run(info: graphene.ResolveInfo, compute: Callable[[Access], T]) -> T:
    try:
        return compute(caller(info))
    except CrmError as error:
        raise graphql_error(error) from error


class InsightQueries(graphene.ObjectType):
    channel_roi = graphene.Field(
        ChannelRoi,
        required=True,
        from_=graphene.Date(required=True, name="from"),
        to=graphene.Date(required=True),
        description="Campaign cost against won revenue per lead source, in the group currency. "
        + PERIOD,
    )
    customer_distribution = graphene.Field(
        CustomerDistribution,
        required=True,
        description="The BU's accounts by their customer's industry, country and grade.",
    )
    rfm_segments = graphene.Field(
        RfmSegments,
        required=True,
        as_of=graphene.Date(description=AS_OF),
        months=graphene.Int(description=MONTHS),
        description="Customers by recency, frequency and monetary value, in named segments.",
    )
    group_channel_roi = graphene.Field(
        GroupChannelRoi,
        required=True,
        from_=graphene.Date(required=True, name="from"),
        to=graphene.Date(required=True),
        description="Channel ROI per BU and source from every cell (HQ only). " + PERIOD,
    )
    group_customer_distribution = graphene.Field(
        GroupCustomerDistribution,
        required=True,
        description="Accounts per BU by industry, country and grade from every cell (HQ only).",
    )
    group_rfm = graphene.Field(
        GroupRfm,
        required=True,
        as_of=graphene.Date(description=AS_OF),
        months=graphene.Int(description=MONTHS),
        description="Customers per RFM segment and BU from every cell (HQ only).",
    )
    group_receivables_aging = graphene.Field(
        GroupReceivablesAging,
        required=True,
        as_of=graphene.Date(description=AS_OF),
        description="Open invoices per BU by days past due, in the group currency, from every "
        "cell (HQ only); no customer is named.",
    )

    @staticmethod
    def resolve_channel_roi(
        _root: None, info: graphene.ResolveInfo, from_: datetime.date, to: datetime.date
    ) -> ChannelRoi:
        found = _run(info, lambda access: channel_roi.channel_roi(access, start=from_, end=to))
        return present_channel_roi(found)

    @staticmethod
    def resolve_customer_distribution(
        _root: None, info: graphene.ResolveInfo
    ) -> CustomerDistribution:
        return present_distribution(_run(info, distribution.distribution))

    @staticmethod
    def resolve_rfm_segments(
        _root: None,
        info: graphene.ResolveInfo,
        as_of: datetime.date | None = None,
        months: int | None = None,
    ) -> rfm.Rfm:
        return _run(info, lambda access: rfm.rfm(access, as_of=as_of, months=months))

    @staticmethod
    def resolve_group_channel_roi(
        _root: None, info: graphene.ResolveInfo, from_: datetime.date, to: datetime.date
    ) -> Any:
        return _run(
            info, lambda access: insight_reports.group_channel_roi(access, start=from_, end=to)
        )

    @staticmethod
    def resolve_group_customer_distribution(_root: None, info: graphene.ResolveInfo) -> Any:
        return _run(info, insight_reports.group_customer_distribution)

    @staticmethod
    def resolve_group_rfm(
        _root: None,
        info: graphene.ResolveInfo,
        as_of: datetime.date | None = None,
        months: int | None = None,
    ) -> Any:
        return _run(
            info, lambda access: insight_reports.group_rfm(access, as_of=as_of, months=months)
        )

    @staticmethod
    def resolve_group_receivables_aging(
        _root: None, info: graphene.ResolveInfo, as_of: datetime.date | None = None
    ) -> Any:
        return _run(
            info, lambda access: insight_reports.group_receivables_aging(access, as_of=as_of)
        )
