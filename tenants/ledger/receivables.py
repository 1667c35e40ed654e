"""Receivables of a business unit: the aging per customer, and the credit exposure per golden
customer that the group-wide `receivables` aggregate reports.

Aging, as of a date: every invoice issued by then and open then, by how many days past its due
date it is then: current (not yet due), 1–30, 31–60, 61–90 and more than 90 days, per account
and transaction currency, in that currency and in the group currency (each invoice's open
amount at the invoice's own rate, rounded per invoice like the stored amounts). Beside it, the
customer's unapplied cash (payments received by then and not allocated by then).

It is one set-based statement. An invoice's open amount then is its open amount now plus what
allocations and credit notes dated after the date took from it; an invoice cancelled after the
date was open then for its total. So the statement reads the open invoices from their partial
index, adds back the (few) later settlements from the dated indexes, and never walks the paid
history: the benchmark (infra/bench_ledger.py) keeps it under 300 ms for 300,000 invoices and
300,000 payments.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import minor_unit_exponent
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.regions.federation.aggregates.receivables import CustomerExposure
from crm.tenants.ledger.access import INVOICE, PAYMENT
from crm.tenants.ledger.models import Allocation, CreditNote, Invoice, Order, Payment
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit

BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")
# (bucket, lowest and highest days past due; None: unbounded)
BUCKET_DAYS: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),
    ("days_1_30", 1, 30),
    ("days_31_60", 31, 60),
    ("days_61_90", 61, 90),
    ("days_over_90", 91, None),
)


@dataclass
class AgingRow:
    """One account's receivables in one transaction currency, as of the aging's date."""

    account_id: int
    currency: str
    invoices: int = 0
    buckets: dict[str, Decimal] = field(default_factory=dict)
    buckets_group: dict[str, Decimal] = field(default_factory=dict)
    unapplied: Decimal = Decimal(0)
    unapplied_group: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), Decimal(0))

    @property
    def total_group(self) -> Decimal:
        return sum(self.buckets_group.values(), Decimal(0))


@dataclass
class Aging:
    as_of: datetime.date
    group_currency: str
    rows: list[AgingRow]

    @property
    def total_group(self) -> Decimal:
        return sum((row.total_group for row in self.rows), Decimal(0))

    def buckets_group(self) -> dict[str, Decimal]:
        return {
            name: sum((r.buckets_group[name] for r in self.rows), Decimal(0)) for name in BUCKETS
        }


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _restriction(queryset: QuerySet[Any]) -> tuple[str, list[Any]] | None:
    """None when `queryset` (what the caller may view) is the whole table; else the SQL of its
    ids, to keep the statement to the records the caller may view."""
    if queryset.query.is_empty():
        return "SELECT NULL WHERE FALSE", []
    if not queryset.query.where.children:
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql, list(params)


def _bucket_sums(column: str, places: int) -> tuple[str, str]:
    """The SELECT items of the buckets in the transaction currency and the group currency."""
    plain, converted = [], []
    for name, low, high in BUCKET_DAYS:
        conditions = []
        if low is not None:
            conditions.append(f"days >= {low}")
        if high is not None:
            conditions.append(f"days <= {high}")
        where = " AND ".join(conditions)
        plain.append(f"coalesce(sum({column}) FILTER (WHERE {where}), 0) AS {name}")
        converted.append(
            f"coalesce(sum(round({column} * fx_rate, {places})) FILTER (WHERE {where}), 0) "
            f"AS {name}_group"
        )
    return ", ".join(plain), ", ".join(converted)


def _invoice_rows(
    as_of: datetime.date,
    places: int,
    accounts: Sequence[int] | None,
    visible: tuple[str, list[Any]] | None,
) -> list[tuple[Any, ...]]:
    invoice, allocation, credit = _table(Invoice), _table(Allocation), _table(CreditNote)
    params: list[Any] = [as_of, as_of]
    extra = ""
    if accounts is not None:
        extra += " AND i.account_id = ANY(%s)"
    if visible is not None:
        extra += f" AND i.id IN ({visible[0]})"

    def filters() -> list[Any]:
        found: list[Any] = []
        if accounts is not None:
            found.append(list(accounts))
        if visible is not None:
            found.extend(visible[1])
        return found

    plain, converted = _bucket_sums("open_amount", places)
    sql = f"""
        WITH later AS (
            SELECT invoice_id, sum(amount) AS amount FROM (
                SELECT invoice_id, amount FROM {allocation} WHERE allocated_on > %s
                UNION ALL
                SELECT invoice_id, amount FROM {credit} WHERE issue_date > %s
            ) settled_later
            GROUP BY invoice_id
        ),
        items AS (
            SELECT i.account_id, i.currency, i.fx_rate, %s - i.due_date AS days,
                   i.open_amount + coalesce(l.amount, 0) AS open_amount
            FROM {invoice} i LEFT JOIN later l ON l.invoice_id = i.id
            WHERE i.status IN ('ISSUED', 'PARTIALLY_PAID') AND i.issue_date <= %s{extra}
            UNION ALL
            SELECT i.account_id, i.currency, i.fx_rate, %s - i.due_date, l.amount
            FROM {invoice} i JOIN later l ON l.invoice_id = i.id
            WHERE i.status = 'PAID' AND i.issue_date <= %s{extra}
            UNION ALL
            SELECT i.account_id, i.currency, i.fx_rate, %s - i.due_date, i.total
            FROM {invoice} i
            WHERE i.status = 'CANCELLED' AND i.issue_date IS NOT NULL
              AND i.cancelled_on > %s AND i.issue_date <= %s{extra}
        )
        SELECT account_id, currency, count(*), {plain}, {converted}
        FROM items WHERE open_amount > 0
        GROUP BY account_id, currency
    """  # noqa: S608  (table names from the models, values as parameters)
    params += [as_of, as_of, *filters(), as_of, as_of, *filters(), as_of, as_of, as_of, *filters()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _unapplied_rows(
    as_of: datetime.date,
    places: int,
    accounts: Sequence[int] | None,
    visible: tuple[str, list[Any]] | None,
) -> list[tuple[Any, ...]]:
    payment, allocation = _table(Payment), _table(Allocation)
    extra = ""
    filters: list[Any] = []
    if accounts is not None:
        extra += " AND p.payer_id = ANY(%s)"
        filters.append(list(accounts))
    if visible is not None:
        extra += f" AND p.id IN ({visible[0]})"
        filters.extend(visible[1])
    sql = f"""
        WITH later AS (
            SELECT payment_id, sum(amount) AS amount FROM {allocation}
            WHERE allocated_on > %s GROUP BY payment_id
        ),
        items AS (
            SELECT p.payer_id, p.currency, p.fx_rate,
                   p.unallocated_amount + coalesce(l.amount, 0) AS amount
            FROM {payment} p LEFT JOIN later l ON l.payment_id = p.id
            WHERE p.unallocated_amount > 0 AND p.received_on <= %s{extra}
            UNION ALL
            SELECT p.payer_id, p.currency, p.fx_rate, l.amount
            FROM {payment} p JOIN later l ON l.payment_id = p.id
            WHERE p.unallocated_amount = 0 AND p.received_on <= %s{extra}
        )
        SELECT payer_id, currency, sum(amount), sum(round(amount * fx_rate, {places}))
        FROM items GROUP BY payer_id, currency
    """  # noqa: S608
    params: list[Any] = [as_of, as_of, *filters, as_of, *filters]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def compute_aging(
    business_unit: BusinessUnit,
    *,
    as_of: datetime.date,
    accounts: Sequence[int] | None = None,
    visible_invoices: tuple[str, list[Any]] | None = None,
    visible_payments: tuple[str, list[Any]] | None = None,
) -> Aging:
    """The aging of the current BU schema (no policy: see `receivables_aging`)."""
    group_currency = business_unit.group.currency
    places = minor_unit_exponent(group_currency)
    rows: dict[tuple[int, str], AgingRow] = {}
    for account_id, currency, count, *sums in _invoice_rows(
        as_of, places, accounts, visible_invoices
    ):
        row = rows.setdefault((account_id, currency), AgingRow(account_id, currency))
        row.invoices = count
        row.buckets = dict(zip(BUCKETS, sums[: len(BUCKETS)], strict=True))
        row.buckets_group = dict(zip(BUCKETS, sums[len(BUCKETS) :], strict=True))
    for account_id, currency, amount, amount_group in _unapplied_rows(
        as_of, places, accounts, visible_payments
    ):
        row = rows.setdefault((account_id, currency), AgingRow(account_id, currency))
        row.unapplied, row.unapplied_group = amount, amount_group
    for row in rows.values():
        for name in BUCKETS:
            row.buckets.setdefault(name, Decimal(0))
            row.buckets_group.setdefault(name, Decimal(0))
    ordered = sorted(rows.values(), key=lambda r: (r.account_id, r.currency))
    return Aging(as_of=as_of, group_currency=group_currency, rows=ordered)


def receivables_aging(
    access: Access, *, as_of: datetime.date | None = None, accounts: Sequence[int] | None = None
) -> Aging:
    """The aging the caller may see: of the invoices (and payments) they may view, whose open
    amounts they may read everywhere (else FIELD_FORBIDDEN); `as_of` defaults to today."""
    access.require_some(Action.VIEW, INVOICE)
    access.require_readable(INVOICE, "open_amount", argument="receivablesAging")
    day = as_of or access.business_unit.today()
    if day.year < 1900 or day.year > 9999:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="asOf", reason="a date in 1900–9999")
    visible_invoices = _restriction(access.visible(INVOICE, Invoice.objects.all()))
    readable_payments = access.readable_everywhere(PAYMENT, "unallocated_amount")
    visible_payments = (
        _restriction(access.visible(PAYMENT, Payment.objects.all()))
        if readable_payments
        else ("SELECT NULL WHERE FALSE", [])
    )
    return compute_aging(
        access.business_unit,
        as_of=day,
        accounts=accounts,
        visible_invoices=visible_invoices,
        visible_payments=visible_payments,
    )


# -- credit exposure ------------------------------------------------------------------------


def _open_orders(places: int, as_of: datetime.date) -> dict[int, Decimal]:
    """Confirmed orders not cancelled, by account: their value not invoiced yet (group)."""
    order = _table(Order)
    sql = f"""
        SELECT account_id, sum(round((total - invoiced_amount) * fx_rate, {places}))
        FROM {order}
        WHERE confirmed AND status <> 'CANCELLED' AND invoiced_amount < total
          AND order_date <= %s
        GROUP BY account_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of])
        return dict(cursor.fetchall())


def exposures(
    business_unit: BusinessUnit,
    as_of: datetime.date,
    *,
    customer_ids: Iterable[int] | None = None,
) -> list[CustomerExposure]:
    """Per golden customer with anything open in this BU (current schema), in the group
    currency: open receivables as of `as_of` (open invoices less unapplied cash) and open
    orders (confirmed, dated by then, not yet invoiced: as they stand now)."""
    accounts: list[int] | None = None
    if customer_ids is not None:
        accounts = list(
            LocalCustomer.objects.filter(customer_id__in=list(customer_ids)).values_list(
                "pk", flat=True
            )
        )
        if not accounts:
            return []
    aging = compute_aging(business_unit, as_of=as_of, accounts=accounts)
    places = minor_unit_exponent(business_unit.group.currency)
    receivable: dict[int, Decimal] = {}
    for row in aging.rows:
        receivable[row.account_id] = (
            receivable.get(row.account_id, Decimal(0)) + row.total_group - row.unapplied_group
        )
    ordered = _open_orders(places, as_of)
    if accounts is not None:
        ordered = {key: value for key, value in ordered.items() if key in set(accounts)}
    golden = dict(
        LocalCustomer.objects.filter(pk__in=set(receivable) | set(ordered)).values_list(
            "pk", "customer_id"
        )
    )
    totals: dict[int, list[Decimal]] = {}
    for account_id, amount in receivable.items():
        totals.setdefault(golden[account_id], [Decimal(0), Decimal(0)])[0] += amount
    for account_id, amount in ordered.items():
        totals.setdefault(golden[account_id], [Decimal(0), Decimal(0)])[1] += amount
    return [
        CustomerExposure(
            customer_id=customer_id, open_receivables=amounts[0], open_orders=amounts[1]
        )
        for customer_id, amounts in sorted(totals.items())
        if amounts[0] or amounts[1]
    ]


def exposure_provider(business_unit: BusinessUnit, as_of: datetime.date) -> list[CustomerExposure]:
    """The `receivables` aggregate's provider: called per BU, in its schema."""
    return exposures(business_unit, as_of)
