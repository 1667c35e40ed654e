"""Channel ROI: per lead source, what its campaigns cost and what the deals won from its leads
brought, in the group currency, over a period of days.

- Leads: created in the period (from the start of its first day to the end of its last, where
  the asking BU is, or HQ for the group view), counted per source and campaign; converted ones
  apart.
- Won revenue: deals won (closed as won on a day of the period) that came from a lead, at their
  stored group amount (converted at the group's rate of the close date when they were closed);
  a deal's source is its lead's source, or its lead's campaign's. Deals that did not come from a
  lead, or whose lead the caller may not view, count under no source. A won deal without a group
  amount (no rate yet) is counted in `without_group_amount`, never valued by a guess.
- Cost: campaigns running in the period (its start not after the period's end, its end not
  before its start; a campaign without dates runs always), each with its whole cost (costs are
  not spread over days), converted at the group's spot rate of the campaign's start date, or of
  the period's last day (not after today) for a campaign without one. The conversion (rate, its
  own date and type) is shown with every campaign; a campaign whose rate is missing is counted
  in `campaigns_without_rate` and not in the cost.
- ROI = (won revenue − cost) / cost, to four places; none without cost.

Campaigns belong to no one: a dashboard that reaches only some people's leads and deals (the
policy's own or team scope) still weighs them against the campaigns the caller may view.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.db.models.expressions import RawSQL

from crm.masterdata.sales.models import LeadSource, StageKind
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.regions.federation.contract import end_of_day
from crm.tenants.insights.access import CHANNEL_ROI, reach
from crm.tenants.insights.common import (
    Restriction,
    checked_period,
    condition,
    owned_by,
    restriction,
    serial,
    table,
)
from crm.tenants.leads.access import CAMPAIGN, LEAD
from crm.tenants.leads.models import Campaign, Lead, LeadStatus
from crm.tenants.ledger.conversion import GroupRate, group_rate
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.access import OPPORTUNITY
from crm.tenants.opportunities.models import Opportunity

ROI_PLACES = Decimal("0.0001")


def roi(revenue: Decimal, cost: Decimal) -> Decimal | None:
    return ((revenue - cost) / cost).quantize(ROI_PLACES) if cost > 0 else None


@dataclass
class Figures:
    """What leads, won deals and campaigns add up to, for one source or one campaign."""

    leads: int = 0
    converted: int = 0
    won: int = 0
    won_revenue: Decimal = Decimal(0)
    without_group_amount: int = 0

    def add_leads(self, leads: int, converted: int) -> None:
        self.leads += leads
        self.converted += converted

    def add_won(self, won: int, revenue: Decimal, without: int) -> None:
        self.won += won
        self.won_revenue += revenue
        self.without_group_amount += without


@dataclass
class CampaignFigures(Figures):
    campaign: Campaign | None = None
    source_id: int | None = None
    cost: Decimal = Decimal(0)  # in the campaign's currency
    cost_group: Decimal | None = None  # None: no rate for `rate_day`
    rate_day: datetime.date | None = None
    rate: GroupRate | None = None
    # Counted in the period's cost (it ran then); leads and deals count either way.
    running: bool = False

    @property
    def roi(self) -> Decimal | None:
        return roi(self.won_revenue, self.cost_group or Decimal(0))


@dataclass
class SourceFigures(Figures):
    source_id: int | None = None
    campaigns: int = 0
    cost: Decimal = Decimal(0)  # in the group currency
    campaigns_without_rate: int = 0

    @property
    def roi(self) -> Decimal | None:
        return roi(self.won_revenue, self.cost)

    def add_campaign(self, cost: Decimal | None) -> None:
        """A campaign running in the period, with its cost in the group currency (None: no
        rate for its date, so not in the cost)."""
        self.campaigns += 1
        if cost is None:
            self.campaigns_without_rate += 1
        else:
            self.cost += cost

    def add(self, other: SourceFigures) -> None:
        self.add_leads(other.leads, other.converted)
        self.add_won(other.won, other.won_revenue, other.without_group_amount)
        self.campaigns += other.campaigns
        self.cost += other.cost
        self.campaigns_without_rate += other.campaigns_without_rate


@dataclass
class ChannelRoi:
    start: datetime.date
    end: datetime.date
    group_currency: str
    sources: list[SourceFigures]
    campaigns: list[CampaignFigures]
    lead_sources: dict[int, LeadSource] = field(default_factory=dict)
    total: SourceFigures = field(default_factory=SourceFigures)


@dataclass(frozen=True)
class Visibility:
    """The records the figures may use (None: all of that type) and whose (None: everyone's)."""

    leads: Restriction = None
    deals: Restriction = None
    campaigns: Restriction = None
    users: frozenset[int] | None = None


def _lead_rows(
    since: datetime.datetime, until: datetime.datetime, seen: Visibility
) -> list[tuple[Any, ...]]:
    visible, params = condition("l.id", seen.leads)
    mine, owners = owned_by("l.owner_id", seen.users)
    sql = f"""
        SELECT coalesce(l.source_id, c.source_id), l.campaign_id, count(*),
               count(*) FILTER (WHERE l.status = %s)
        FROM {table(Lead)} l LEFT JOIN {table(Campaign)} c ON c.id = l.campaign_id
        WHERE l.created_at >= %s AND l.created_at < %s{visible}{mine}
        GROUP BY 1, 2
    """  # noqa: S608  (table names from the models, values as parameters)
    return serial(sql, [LeadStatus.CONVERTED, since, until, *params, *owners])


def _won_rows(start: datetime.date, end: datetime.date, seen: Visibility) -> list[tuple[Any, ...]]:
    lead_visible, lead_params = condition("l.id", seen.leads)
    visible, params = condition("o.id", seen.deals)
    mine, owners = owned_by("o.owner_id", seen.users)
    sql = f"""
        SELECT coalesce(l.source_id, c.source_id), l.campaign_id, count(*),
               coalesce(sum(o.amount_group), 0), count(*) FILTER (WHERE o.amount_group IS NULL)
        FROM {table(Opportunity)} o
        LEFT JOIN {table(Lead)} l ON l.id = o.lead_id{lead_visible}
        LEFT JOIN {table(Campaign)} c ON c.id = l.campaign_id
        WHERE o.status = %s AND o.closed_on >= %s AND o.closed_on <= %s{visible}{mine}
        GROUP BY 1, 2
    """  # noqa: S608
    return serial(sql, [*lead_params, StageKind.WON, start, end, *params, *owners])


def _campaigns(
    business_unit: BusinessUnit,
    start: datetime.date,
    end: datetime.date,
    seen: Visibility,
) -> dict[int, CampaignFigures]:
    """Every campaign the caller may view, `running` for those that ran in the period, with
    its cost converted at the rate of its start (or of the period's last day, not ahead)."""
    campaigns = Campaign.objects.all()
    if seen.campaigns is not None:
        # The policy's own SQL of the visible ids (with its parameters), as in the statements.
        campaigns = campaigns.filter(pk__in=RawSQL(*seen.campaigns))  # noqa: S611
    runs = (Q(starts_on__isnull=True) | Q(starts_on__lte=end)) & (
        Q(ends_on__isnull=True) | Q(ends_on__gte=start)
    )
    running = set(campaigns.filter(runs).values_list("pk", flat=True))
    last_day = min(end, business_unit.today())
    found: dict[int, CampaignFigures] = {}
    for campaign in campaigns.order_by("code"):
        figures = CampaignFigures(
            campaign=campaign,
            source_id=campaign.source_id,
            cost=campaign.cost_amount,
            running=campaign.pk in running,
        )
        if figures.running:
            figures.rate_day = campaign.starts_on or last_day
            if campaign.cost_amount == 0:
                figures.cost_group = Decimal(0)
            else:
                try:
                    figures.rate = group_rate(
                        business_unit, campaign.cost_currency, figures.rate_day
                    )
                except CrmError as error:
                    if error.code is not ErrorCode.RATE_NOT_FOUND:
                        raise
                else:
                    figures.cost_group = figures.rate.convert(campaign.cost_amount)
        found[campaign.pk] = figures
    return found


def compute_channel_roi(
    business_unit: BusinessUnit,
    *,
    start: datetime.date,
    end: datetime.date,
    time_zone: str,
    seen: Visibility | None = None,
) -> ChannelRoi:
    """The channel ROI of the current BU schema over the days `start` to `end` (no policy:
    see `channel_roi`); leads are cut at the ends of days in `time_zone`."""
    seen = seen or Visibility()
    since = end_of_day(start - datetime.timedelta(days=1), time_zone)
    until = end_of_day(end, time_zone)
    campaigns = _campaigns(business_unit, start, end, seen)
    known = set(
        LeadSource.objects.filter(group_id=business_unit.group_id).values_list("pk", flat=True)
    )
    sources: dict[int | None, SourceFigures] = {}

    def source(source_id: int | None) -> SourceFigures:
        key = source_id if source_id in known else None
        return sources.setdefault(key, SourceFigures(source_id=key))

    for source_id, campaign_id, leads, converted in _lead_rows(since, until, seen):
        source(source_id).add_leads(leads, converted)
        if campaign_id in campaigns:
            campaigns[campaign_id].add_leads(leads, converted)
    for source_id, campaign_id, won, revenue, without in _won_rows(start, end, seen):
        source(source_id).add_won(won, revenue, without)
        if campaign_id in campaigns:
            campaigns[campaign_id].add_won(won, revenue, without)
    for campaign in campaigns.values():
        if campaign.running:
            source(campaign.source_id).add_campaign(campaign.cost_group)
    total = SourceFigures()
    for figures in sources.values():
        total.add(figures)
    shown = [
        figures for figures in campaigns.values() if figures.running or figures.leads or figures.won
    ]
    return ChannelRoi(
        start=start,
        end=end,
        group_currency=business_unit.group.currency,
        sources=sorted(
            sources.values(), key=lambda s: (-s.won_revenue, s.source_id is None, s.source_id or 0)
        ),
        campaigns=shown,
        lead_sources={s.pk: s for s in LeadSource.objects.filter(pk__in=[k for k in sources if k])},
        total=total,
    )


def channel_roi(access: Access, *, start: datetime.date, end: datetime.date) -> ChannelRoi:
    """The channel ROI the caller may see: of the leads, deals and campaigns they may view (and
    only their own or their teams' leads and deals where the policy says so), whose sources,
    group amounts and costs they may read everywhere (FIELD_FORBIDDEN otherwise)."""
    reached = reach(access, CHANNEL_ROI)
    checked_period(start, end)
    for object_type, name in (
        (LEAD, "source"),
        (LEAD, "campaign"),
        (OPPORTUNITY, "amount_group"),
        (OPPORTUNITY, "closed_on"),
        (CAMPAIGN, "cost"),
        (CAMPAIGN, "starts_on"),
        (CAMPAIGN, "ends_on"),
    ):
        access.require_some(Action.VIEW, object_type)
        access.require_readable(object_type, name, argument="channelRoi")
    seen = Visibility(
        leads=restriction(access.visible(LEAD, Lead.objects.all())),
        deals=restriction(access.visible(OPPORTUNITY, Opportunity.objects.all())),
        campaigns=restriction(access.visible(CAMPAIGN, Campaign.objects.all())),
        users=reached.users,
    )
    unit = access.business_unit
    return compute_channel_roi(unit, start=start, end=end, time_zone=unit.time_zone, seen=seen)
