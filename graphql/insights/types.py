"""GraphQL types of the BU's dashboards: channel ROI, customer distribution, RFM segments.

Each dashboard is computed once per request by its root query (one statement per part) and
presented here; amounts are Money in the group currency, a campaign's cost also in its own
currency with the conversion (rate, its date and type) that turned it into the group's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import decode_cursor, encode_cursor, page_size
from crm.graphql.core.types import Money
from crm.graphql.insights.common import (
    DistributionShare,
    RoiFigures,
    country_name,
    grade_name,
    money,
    share,
    shares,
)
from crm.graphql.ledger.loaders import ledger_loaders
from crm.graphql.ledger.types import LedgerAccount
from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.insights import channel_roi, distribution, rfm

AVERAGE_PLACES = Decimal("0.1")
RfmSegmentCode = graphene.Enum.from_enum(
    rfm.Segment, name="RfmSegmentCode", description="Where recency and frequency put a customer."
)

# -- channel ROI ------------------------------------------------------------------------------


class CampaignConversion(graphene.ObjectType):
    """How a campaign's cost became the group currency: the group's spot rate of `date`."""

    date = graphene.Date(
        required=True, description="The campaign's start, or the period's last day without one."
    )
    rate = graphene.Decimal(required=True, description="1 unit of the cost's currency.")
    rate_type = graphene.String(required=True)
    rate_date = graphene.Date(required=True, description="The rate's own date.")


class ChannelRoiSource(RoiFigures, graphene.ObjectType):
    """One lead source's figures; `source` null: no source, or deals not from a lead."""

    source = graphene.String(description="Lead source code.")
    source_name = graphene.String(description="In your language.")


class ChannelRoiCampaign(graphene.ObjectType):
    """One campaign: its leads and won deals in the period and, if it ran then, its cost."""

    code = graphene.String(required=True)
    name = graphene.String(required=True, description="In your language.")
    source = graphene.String(description="Its lead source's code.")
    running = graphene.Boolean(required=True, description="It ran in the period: cost counted.")
    leads = graphene.Int(required=True)
    converted = graphene.Int(required=True)
    won = graphene.Int(required=True)
    won_revenue = graphene.Field(Money, required=True)
    without_group_amount = graphene.Int(required=True)
    cost = graphene.Field(Money, required=True, description="In the campaign's currency.")
    cost_group = graphene.Field(
        Money, description="In the group currency; null when not running or no rate."
    )
    conversion = graphene.Field(CampaignConversion, description="Null when nothing converted.")
    roi = graphene.Decimal()


class ChannelRoi(graphene.ObjectType):
    """Campaign cost against won revenue per lead source over a period of days."""

    from_ = graphene.Date(required=True, name="from")
    to = graphene.Date(required=True)
    currency = graphene.String(required=True, description="The group currency.")
    sources = graphene.List(
        graphene.NonNull(ChannelRoiSource), required=True, description="Most revenue first."
    )
    campaigns = graphene.List(graphene.NonNull(ChannelRoiCampaign), required=True)
    total = graphene.Field(ChannelRoiSource, required=True, description="Every source.")


def _roi_figures(figures: channel_roi.SourceFigures, currency: str) -> dict[str, Any]:
    return {
        "leads": figures.leads,
        "converted": figures.converted,
        "won": figures.won,
        "won_revenue": money(figures.won_revenue, currency),
        "without_group_amount": figures.without_group_amount,
        "campaigns": figures.campaigns,
        "cost": money(figures.cost, currency),
        "campaigns_without_rate": figures.campaigns_without_rate,
        "roi": figures.roi,
    }


def present_channel_roi(found: channel_roi.ChannelRoi) -> ChannelRoi:
    currency = found.group_currency
    sources = found.lead_sources

    def source(figures: channel_roi.SourceFigures) -> ChannelRoiSource:
        known = sources.get(figures.source_id or 0)
        return ChannelRoiSource(
            source=known.code if known else None,
            source_name=str(known.name) if known else None,
            **_roi_figures(figures, currency),
        )

    def campaign(figures: channel_roi.CampaignFigures) -> ChannelRoiCampaign:
        record = figures.campaign
        assert record is not None  # every campaign's figures name it
        rate = figures.rate
        known = sources.get(figures.source_id or 0)
        return ChannelRoiCampaign(
            code=record.code,
            name=str(record.name),
            source=known.code if known else None,
            running=figures.running,
            leads=figures.leads,
            converted=figures.converted,
            won=figures.won,
            won_revenue=money(figures.won_revenue, currency),
            without_group_amount=figures.without_group_amount,
            cost=money(figures.cost, record.cost_currency),
            cost_group=money(figures.cost_group, currency)
            if figures.cost_group is not None
            else None,
            conversion=CampaignConversion(
                date=rate.day,
                rate=rate.rate.normalize(),
                rate_type=rate.rate_type,
                rate_date=rate.rate_date,
            )
            if rate is not None
            else None,
            roi=figures.roi,
        )

    return ChannelRoi(
        from_=found.start,
        to=found.end,
        currency=currency,
        sources=[source(figures) for figures in found.sources],
        campaigns=[campaign(figures) for figures in found.campaigns],
        total=ChannelRoiSource(**_roi_figures(found.total, currency)),
    )


# -- customer distribution ---------------------------------------------------------------------


class DistributionCell(graphene.ObjectType):
    """Accounts of one industry, country and grade (null: not known)."""

    industry = graphene.String()
    country = graphene.String(description="ISO 3166 code.")
    country_name = graphene.String()
    grade = graphene.String()
    grade_name = graphene.String()
    accounts = graphene.Int(required=True)


class CustomerDistribution(graphene.ObjectType):
    """The BU's accounts (that you may view) by their golden customer's industry, country and
    grade: one account per customer of the BU."""

    total = graphene.Int(required=True, description="Accounts counted.")
    by_industry = graphene.List(graphene.NonNull(DistributionShare), required=True)
    by_country = graphene.List(graphene.NonNull(DistributionShare), required=True)
    by_grade = graphene.List(graphene.NonNull(DistributionShare), required=True)
    cells = graphene.List(
        graphene.NonNull(DistributionCell),
        required=True,
        description="Every combination with accounts, most first.",
    )


def present_distribution(found: distribution.Distribution) -> CustomerDistribution:
    total = found.total

    def by(dimension: str) -> list[Any]:
        return shares([(s.key, s.accounts) for s in found.by(dimension)], dimension, total)

    return CustomerDistribution(
        total=total,
        by_industry=by("industry"),
        by_country=by("country"),
        by_grade=by("grade"),
        cells=[
            DistributionCell(
                industry=cell.industry,
                country=cell.country,
                country_name=country_name(cell.country),
                grade=cell.grade,
                grade_name=grade_name(cell.grade),
                accounts=cell.accounts,
            )
            for cell in found.cells
        ],
    )


# -- RFM segments --------------------------------------------------------------------------------


class RfmSegmentSummary(graphene.ObjectType):
    """One segment's customers and what they ordered and paid in the window."""

    segment = graphene.Field(RfmSegmentCode, required=True)
    name = graphene.String(required=True, description="In your language.")
    customers = graphene.Int(required=True)
    share = graphene.Decimal(required=True, description="Of all customers scored, 0 to 1.")
    orders = graphene.Int(required=True, description="Their orders in the window.")
    monetary = graphene.Field(
        Money, required=True, description="Their payments in the window, group currency."
    )
    average_recency_days = graphene.Decimal(description="Null without customers.")
    average_orders = graphene.Decimal()
    average_monetary = graphene.Field(Money)


def present_segment(summary: rfm.SegmentSummary, currency: str, total: int) -> RfmSegmentSummary:
    count = summary.customers

    def average(value: int) -> Decimal | None:
        return (Decimal(value) / count).quantize(AVERAGE_PLACES) if count else None

    return RfmSegmentSummary(
        segment=summary.segment.value,
        name=str(summary.segment.label),
        customers=count,
        share=share(count, total),
        orders=summary.orders,
        monetary=money(summary.monetary, currency),
        average_recency_days=average(summary.recency_days),
        average_orders=average(summary.orders),
        average_monetary=money(summary.monetary / count, currency) if count else None,
    )


class RfmGridCell(graphene.ObjectType):
    """Customers with one recency score and one frequency score (the 5 × 5 grid)."""

    recency = graphene.Int(required=True)
    frequency = graphene.Int(required=True)
    segment = graphene.Field(RfmSegmentCode, required=True)
    customers = graphene.Int(required=True)


class RfmCustomer(graphene.ObjectType):
    """One customer (the BU's account) with its figures and scores."""

    account = graphene.Field(LedgerAccount, required=True)
    last_order = graphene.Date(required=True)
    recency_days = graphene.Int(required=True)
    orders = graphene.Int(required=True, description="Orders in the window (frequency).")
    monetary = graphene.Field(Money, required=True, description="Paid in the window.")
    recency_score = graphene.Int(required=True, description="1–5; 5: the most recent.")
    frequency_score = graphene.Int(required=True)
    monetary_score = graphene.Int(required=True)
    score = graphene.String(required=True, description='The three scores, e.g. "545".')
    segment = graphene.Field(RfmSegmentCode, required=True)
    segment_name = graphene.String(required=True)


class RfmCustomerPage(graphene.ObjectType):
    """A page of the customers: by segment (in the order of the codes), most paid first."""

    total_count = graphene.Int(required=True, description="Customers that match, every page.")
    rows = graphene.List(graphene.NonNull(RfmCustomer), required=True)
    end_cursor = graphene.String(description="Pass as `after` for the next page.")
    has_next_page = graphene.Boolean(required=True)


def _customer(score: rfm.CustomerScore, currency: str, info: graphene.ResolveInfo) -> RfmCustomer:
    segment = score.segment
    return RfmCustomer(
        account=(score.account_id, ledger_loaders(info).accounts.load(score.account_id)),
        last_order=score.last_order,
        recency_days=score.recency_days,
        orders=score.frequency,
        monetary=money(score.monetary, currency),
        recency_score=score.recency,
        frequency_score=score.frequency_score,
        monetary_score=score.monetary_score,
        score=f"{score.recency}{score.frequency_score}{score.monetary_score}",
        segment=segment.value,
        segment_name=str(segment.label),
    )


class RfmSegments(graphene.ObjectType):
    """The BU's customers (those you may see) scored by recency, frequency and monetary value
    as of a date over a window of months, and named by segment."""

    as_of = graphene.Date(required=True)
    months = graphene.Int(required=True)
    window_start = graphene.Date(required=True, description="The window is the days after it.")
    currency = graphene.String(required=True, description="The group currency.")
    customer_count = graphene.Int(required=True)
    segments = graphene.List(
        graphene.NonNull(RfmSegmentSummary),
        required=True,
        description="Every segment, empty ones too.",
    )
    grid = graphene.List(graphene.NonNull(RfmGridCell), required=True)
    customers = graphene.Field(
        RfmCustomerPage,
        required=True,
        first=graphene.Int(required=True),
        after=graphene.String(),
        segment=graphene.Argument(RfmSegmentCode),
        account=graphene.ID(description="Only this account (Account:<pk>), scored among all."),
    )

    @staticmethod
    def resolve_as_of(root: rfm.Rfm, _info: graphene.ResolveInfo) -> object:
        return root.as_of

    @staticmethod
    def resolve_window_start(root: rfm.Rfm, _info: graphene.ResolveInfo) -> object:
        return root.window_start

    @staticmethod
    def resolve_currency(root: rfm.Rfm, _info: graphene.ResolveInfo) -> str:
        return root.group_currency

    @staticmethod
    def resolve_customer_count(root: rfm.Rfm, _info: graphene.ResolveInfo) -> int:
        return len(root.customers)

    @staticmethod
    def resolve_segments(root: rfm.Rfm, _info: graphene.ResolveInfo) -> list[RfmSegmentSummary]:
        total = len(root.customers)
        return [present_segment(s, root.group_currency, total) for s in root.segments()]

    @staticmethod
    def resolve_grid(root: rfm.Rfm, _info: graphene.ResolveInfo) -> list[RfmGridCell]:
        return [
            RfmGridCell(recency=r, frequency=f, segment=rfm.segment_of(r, f).value, customers=count)
            for (r, f), count in sorted(root.grid().items(), reverse=True)
        ]

    @staticmethod
    def resolve_customers(
        root: rfm.Rfm,
        info: graphene.ResolveInfo,
        first: int,
        after: str | None = None,
        segment: Any = None,
        account: str | None = None,
    ) -> RfmCustomerPage:
        try:
            size = page_size(first)
            start = _offset(after)
            account_id = pk_of("Account", account, field="account") if account else None
        except CrmError as error:
            raise graphql_error(error) from error
        wanted = getattr(segment, "value", segment)
        order = {code: index for index, code in enumerate(rfm.Segment.values)}
        chosen = sorted(
            (
                score
                for score in root.customers
                if (wanted is None or score.segment == wanted)
                and (account_id is None or score.account_id == account_id)
            ),
            key=lambda s: (order[s.segment], -s.monetary, s.account_id),
        )
        page = chosen[start : start + size]
        ledger_loaders(info).accounts.expect(score.account_id for score in page)
        end = start + len(page)
        return RfmCustomerPage(
            total_count=len(chosen),
            rows=[_customer(score, root.group_currency, info) for score in page],
            end_cursor=encode_cursor("RfmCustomer", str(end)) if page else None,
            has_next_page=end < len(chosen),
        )


def _offset(after: str | None) -> int:
    if not after:
        return 0
    key, _sort = decode_cursor("RfmCustomer", after)
    if not key.isdigit():
        raise CrmError(ErrorCode.INVALID_CURSOR, field="after", cursor=after)
    return int(key)
