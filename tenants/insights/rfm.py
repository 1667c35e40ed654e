"""RFM segments: the BU's customers scored by recency, frequency and monetary value, and named
by where their recency and frequency scores put them.

As of a date, over a window of months before it:
- the customers are the accounts with at least one order dated on or before the date that is
  confirmed (as it stands now) and was not cancelled by then;
- recency: days from the latest such order to the date;
- frequency: such orders dated in the window;
- monetary: payments received from the account in the window, in the group currency (each at
  the rate of the day it was received, as the ledger keeps it).

Each measure is scored 1–5 by quintile of the customer's rank among the BU's customers (the
most recent, most frequent and largest get 5); equal values share the score of their middle
rank, so a score never depends on the order of ties (all equal: all 3). The segment comes from
the recency and frequency scores (the usual 5 × 5 grid: champions, loyal, at risk, lost...).

It is one set-based statement (a grouped scan of the orders, each customer's payments of the
window from an index that carries their group amount, window functions over the customers),
fast on a BU with 100,000 orders and 300,000 payments (infra/bench_insights.py).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.insights.access import RFM, reach
from crm.tenants.insights.common import (
    Restriction,
    condition,
    months_before,
    not_ahead,
    restriction,
    serial,
    table,
)
from crm.tenants.ledger.access import ORDER, PAYMENT
from crm.tenants.ledger.models import Order, Payment
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit

DEFAULT_MONTHS = 12
MAX_MONTHS = 120
SCORES = (1, 2, 3, 4, 5)


class Segment(models.TextChoices):
    CHAMPIONS = "CHAMPIONS", _("Champions")
    LOYAL = "LOYAL", _("Loyal customers")
    POTENTIAL_LOYALISTS = "POTENTIAL_LOYALISTS", _("Potential loyalists")
    NEW = "NEW", _("New customers")
    PROMISING = "PROMISING", _("Promising")
    NEED_ATTENTION = "NEED_ATTENTION", _("Need attention")
    ABOUT_TO_SLEEP = "ABOUT_TO_SLEEP", _("About to sleep")
    AT_RISK = "AT_RISK", _("At risk")
    CANNOT_LOSE = "CANNOT_LOSE", _("Cannot lose them")
    HIBERNATING = "HIBERNATING", _("Hibernating")
    LOST = "LOST", _("Lost customers")


S = Segment
# Recency score -> the segment of each frequency score 1..5.
_GRID = {
    5: (S.NEW, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.CHAMPIONS, S.CHAMPIONS),
    4: (S.PROMISING, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.LOYAL, S.LOYAL),
    3: (S.ABOUT_TO_SLEEP, S.ABOUT_TO_SLEEP, S.NEED_ATTENTION, S.LOYAL, S.LOYAL),
    2: (S.HIBERNATING, S.HIBERNATING, S.AT_RISK, S.AT_RISK, S.CANNOT_LOSE),
    1: (S.LOST, S.LOST, S.AT_RISK, S.AT_RISK, S.CANNOT_LOSE),
}


def segment_of(recency: int, frequency: int) -> Segment:
    return _GRID[recency][frequency - 1]


@dataclass(slots=True)
class CustomerScore:
    """One account's figures and scores."""

    account_id: int
    last_order: datetime.date
    recency_days: int
    frequency: int
    monetary: Decimal
    recency: int
    frequency_score: int
    monetary_score: int

    @property
    def segment(self) -> Segment:
        return segment_of(self.recency, self.frequency_score)


@dataclass
class SegmentSummary:
    segment: Segment
    customers: int = 0
    orders: int = 0
    monetary: Decimal = Decimal(0)
    recency_days: int = 0  # the customers' recency days added up (for the average)

    def add(self, customers: int, orders: int, monetary: Decimal, recency_days: int) -> None:
        self.customers += customers
        self.orders += orders
        self.monetary += monetary
        self.recency_days += recency_days


@dataclass
class Rfm:
    as_of: datetime.date
    months: int
    window_start: datetime.date  # the window is the days after it, up to `as_of`
    group_currency: str
    customers: list[CustomerScore] = field(default_factory=list)

    def segments(self) -> list[SegmentSummary]:
        """Every segment, in the order of `Segment`, with the customers' figures added up."""
        found = {segment: SegmentSummary(segment) for segment in Segment}
        for customer in self.customers:
            found[customer.segment].add(
                1, customer.frequency, customer.monetary, customer.recency_days
            )
        return list(found.values())

    def grid(self) -> dict[tuple[int, int], int]:
        """Customers per (recency score, frequency score), every cell of the 5 × 5 grid."""
        cells = {(r, f): 0 for r in SCORES for f in SCORES}
        for customer in self.customers:
            cells[(customer.recency, customer.frequency_score)] += 1
        return cells


@dataclass(frozen=True)
class Visibility:
    """The orders and payments the figures may use (None: all), and the accounts' sales
    owners they reach (None: every account)."""

    orders: Restriction = None
    payments: Restriction = None
    users: frozenset[int] | None = None


def _score(column: str) -> str:
    """The 1–5 quintile of a value's middle rank among the customers (`n` of them)."""
    middle = f"rank() OVER (ORDER BY {column}) + (count(*) OVER (PARTITION BY {column}) - 1) / 2.0"
    return f"least(5, 1 + floor(5 * ({middle} - 0.5) / count(*) OVER ()))::int"


def _rows(as_of: datetime.date, start: datetime.date, seen: Visibility) -> list[tuple[Any, ...]]:
    orders_visible, order_params = condition("o.id", seen.orders)
    payments_visible, payment_params = condition("p.id", seen.payments)
    mine, owners = "", []
    if seen.users is not None:  # only the customers these people look after
        accounts = f"SELECT id FROM {table(LocalCustomer)} WHERE sales_owner_id = ANY(%s)"  # noqa: S608
        mine, owners = f" AND o.account_id IN ({accounts})", [sorted(seen.users)]
    sql = f"""
        WITH ordered AS (
            SELECT o.account_id, max(o.order_date) AS last_order,
                   count(*) FILTER (WHERE o.order_date > %s) AS frequency
            FROM {table(Order)} o
            WHERE o.confirmed AND (o.status <> 'CANCELLED' OR o.cancelled_on > %s)
              AND o.order_date <= %s{orders_visible}{mine}
            GROUP BY o.account_id
        ),
        customers AS (
            -- Per customer, its payments of the window from the (payer, received on) index
            -- that carries their group amount: no walk over the whole payment table.
            SELECT o.account_id, o.last_order, o.frequency, coalesce(p.monetary, 0) AS monetary
            FROM ordered o LEFT JOIN LATERAL (
                SELECT sum(p.amount_group) AS monetary
                FROM {table(Payment)} p
                WHERE p.payer_id = o.account_id
                  AND p.received_on > %s AND p.received_on <= %s{payments_visible}
            ) p ON TRUE
        )
        SELECT account_id, last_order, frequency, monetary,
               {_score("last_order")}, {_score("frequency")}, {_score("monetary")}
        FROM customers
    """  # noqa: S608  (table names from the models, values as parameters)
    params = [start, as_of, as_of, *order_params, *owners, start, as_of, *payment_params]
    return serial(sql, params)


def compute_rfm(
    business_unit: BusinessUnit,
    *,
    as_of: datetime.date,
    months: int = DEFAULT_MONTHS,
    seen: Visibility | None = None,
) -> Rfm:
    """The RFM scores of the current BU schema's customers (no policy: see `rfm`)."""
    start = months_before(as_of, months)
    customers = [
        CustomerScore(
            account_id=account_id,
            last_order=last_order,
            recency_days=(as_of - last_order).days,
            frequency=frequency,
            monetary=monetary,
            recency=recency,
            frequency_score=frequency_score,
            monetary_score=monetary_score,
        )
        for (
            account_id,
            last_order,
            frequency,
            monetary,
            recency,
            frequency_score,
            monetary_score,
        ) in _rows(as_of, start, seen or Visibility())
    ]
    return Rfm(
        as_of=as_of,
        months=months,
        window_start=start,
        group_currency=business_unit.group.currency,
        customers=customers,
    )


def checked_months(months: int | None, *, field: str = "months") -> int:
    """The window in months: 12 when not given, else 1 to MAX_MONTHS (INVALID_ARGUMENT)."""
    if months is None:
        return DEFAULT_MONTHS
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field=field,
            reason=gettext("a number of months from 1 to %(most)s") % {"most": MAX_MONTHS},
        )
    return months


def rfm(access: Access, *, as_of: datetime.date | None = None, months: int | None = None) -> Rfm:
    """The RFM segments the caller may see: of the orders and payments they may view (of the
    customers they look after, where the policy says so), whose dates, accounts and group
    amounts they may read everywhere (FIELD_FORBIDDEN otherwise). `as_of`: today by default,
    never ahead; `months`: 12 by default, 1 to 120."""
    reached = reach(access, RFM)
    day = not_ahead(as_of, access.business_unit.today(), field="asOf")
    window = checked_months(months)
    for object_type, names in (
        (ORDER, ("account", "order_date", "status", "confirmed")),
        (PAYMENT, ("payer", "received_on", "amount_group")),
    ):
        access.require_some(Action.VIEW, object_type)
        for name in names:
            access.require_readable(object_type, name, argument="rfmSegments")
    seen = Visibility(
        orders=restriction(access.visible(ORDER, Order.objects.all())),
        payments=restriction(access.visible(PAYMENT, Payment.objects.all())),
        users=reached.users,
    )
    return compute_rfm(access.business_unit, as_of=day, months=window, seen=seen)
