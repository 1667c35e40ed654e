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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
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
# The SQL of the ids of the records one may view, and its parameters.
Restriction = tuple[str, list[Any]]


ZEROS = (Decimal(0),) * len(BUCKETS)


@dataclass(slots=True)
class AgingRow:
    """One account's receivables in one transaction currency, as of the aging's date: the
    open amounts per bucket (in the order of BUCKETS), in the currency and the group's."""

    account_id: int
    currency: str
    invoices: int = 0
    amounts: tuple[Decimal, ...] = ZEROS
    amounts_group: tuple[Decimal, ...] = ZEROS
    unapplied: Decimal = Decimal(0)
    unapplied_group: Decimal = Decimal(0)

    @property
    def buckets(self) -> dict[str, Decimal]:
        return dict(zip(BUCKETS, self.amounts, strict=True))

    @property
    def buckets_group(self) -> dict[str, Decimal]:
        return dict(zip(BUCKETS, self.amounts_group, strict=True))

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, Decimal(0))

    @property
    def total_group(self) -> Decimal:
        return sum(self.amounts_group, Decimal(0))


@dataclass
class Aging:
    as_of: datetime.date
    group_currency: str
    rows: list[AgingRow]

    @property
    def total_group(self) -> Decimal:
        return sum((row.total_group for row in self.rows), Decimal(0))

    def buckets_group(self) -> dict[str, Decimal]:
        columns = zip(*(row.amounts_group for row in self.rows), strict=True)
        sums = [sum(column, Decimal(0)) for column in columns]
        return dict(zip(BUCKETS, sums or ZEROS, strict=True))


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _restriction(queryset: QuerySet[Any]) -> Restriction | None:
    """None when `queryset` (what the caller may view) is the whole table; else the SQL of its
    ids, to keep the statement to the records the caller may view."""
    if queryset.query.is_empty():
        return "SELECT NULL WHERE FALSE", []
    if not queryset.query.where.children:
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql, list(params)


def _filters(
    column: str, accounts: Sequence[int] | None, visible: Restriction | None
) -> tuple[str, list[Any]]:
    """The extra conditions of one branch: the accounts asked for, the records one may view."""
    sql, params = "", []
    if accounts is not None:
        sql += f" AND {column}_id = ANY(%s)"
        params.append(list(accounts))
    if visible is not None:
        sql += f" AND {column[0]}.id IN ({visible[0]})"
        params.extend(visible[1])
    return sql, params


def _open_invoices(
    as_of: datetime.date,
    current: bool,
    places: int,
    accounts: Sequence[int] | None,
    visible: Restriction | None,
) -> tuple[str, list[Any]]:
    """The invoices open at `as_of` (account_id, currency, due_date, amount, amount_group).

    `current`: nothing can be dated after `as_of` (it is today or later), so the open invoices
    are those open now, read from their partial index in (account, currency, due date) order.
    Otherwise the allocations and credit notes dated after it are added back, and invoices
    closed since then (paid in full or cancelled: `closed_on`) come back, read by that date."""
    extra, filters = _filters("i.account", accounts, visible)
    invoice = _table(Invoice)
    if current:
        sql = f"""
            SELECT i.account_id, i.currency, i.due_date, i.open_amount AS amount,
                   i.open_amount_group AS amount_group
            FROM {invoice} i
            WHERE i.status IN ('ISSUED', 'PARTIALLY_PAID') AND i.issue_date <= %s{extra}
        """  # noqa: S608  (table names from the models, values as parameters)
        return sql, [as_of, *filters]
    allocation, credit = _table(Allocation), _table(CreditNote)
    sql = f"""
        WITH later AS MATERIALIZED (
            SELECT invoice_id, sum(amount) AS amount FROM (
                SELECT invoice_id, amount FROM {allocation} WHERE allocated_on > %s
                UNION ALL
                SELECT invoice_id, amount FROM {credit} WHERE issue_date > %s
            ) settled_later
            GROUP BY invoice_id
        )
        SELECT i.account_id, i.currency, i.due_date,
               i.open_amount + coalesce(l.amount, 0) AS amount,
               CASE WHEN l.amount IS NULL THEN i.open_amount_group
                    ELSE round((i.open_amount + l.amount) * i.fx_rate, {places}) END
        FROM {invoice} i LEFT JOIN later l ON l.invoice_id = i.id
        WHERE i.status IN ('ISSUED', 'PARTIALLY_PAID') AND i.issue_date <= %s{extra}
        UNION ALL
        -- Closed since: paid in full (open then: what was settled after) or cancelled (open
        -- then for its total: nothing settles an invoice that is cancelled).
        SELECT i.account_id, i.currency, i.due_date,
               CASE WHEN i.status = 'CANCELLED' THEN i.total ELSE coalesce(l.amount, 0) END,
               CASE WHEN i.status = 'CANCELLED' THEN i.total_group
                    ELSE round(coalesce(l.amount, 0) * i.fx_rate, {places}) END
        FROM {invoice} i LEFT JOIN later l ON l.invoice_id = i.id
        WHERE i.closed_on > %s AND i.issue_date <= %s{extra}
    """  # noqa: S608
    return sql, [as_of, as_of, as_of, *filters, as_of, as_of, *filters]


def _bucket_sums(as_of: datetime.date) -> tuple[str, list[Any]]:
    """The SELECT items of the buckets by due date, in the currency then the group currency."""
    limits = [as_of - datetime.timedelta(days=days) for days in (0, 30, 60, 90)]
    conditions = [
        ("due_date >= %s", [limits[0]]),
        ("due_date < %s AND due_date >= %s", [limits[0], limits[1]]),
        ("due_date < %s AND due_date >= %s", [limits[1], limits[2]]),
        ("due_date < %s AND due_date >= %s", [limits[2], limits[3]]),
        ("due_date < %s", [limits[3]]),
    ]
    items, params = [], []
    for column in ("amount", "amount_group"):
        for condition, values in conditions:
            items.append(f"coalesce(sum({column}) FILTER (WHERE {condition}), 0)")
            params.extend(values)
    return ", ".join(items), params


def _serial(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run one statement without parallel workers: the aging reads an index in its grouping
    order and aggregates as it goes, which is cheaper than workers splitting a few tens of
    thousands of rows (and leaves the cores to the other requests)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _invoice_rows(
    as_of: datetime.date,
    current: bool,
    places: int,
    accounts: Sequence[int] | None,
    visible: Restriction | None,
) -> list[tuple[Any, ...]]:
    items, item_params = _open_invoices(as_of, current, places, accounts, visible)
    sums, sum_params = _bucket_sums(as_of)
    sql = f"""
        SELECT account_id, currency, count(*), {sums}
        FROM ({items}) AS items (account_id, currency, due_date, amount, amount_group)
        WHERE amount > 0
        GROUP BY account_id, currency
    """  # noqa: S608
    return _serial(sql, [*sum_params, *item_params])


def _unapplied_rows(
    as_of: datetime.date,
    current: bool,
    places: int,
    accounts: Sequence[int] | None,
    visible: Restriction | None,
) -> list[tuple[Any, ...]]:
    """Per payer and currency: payments received by `as_of` and not allocated by then."""
    payment, allocation = _table(Payment), _table(Allocation)
    extra, filters = _filters("p.payer", accounts, visible)
    if current:
        sql = f"""
            SELECT p.payer_id, p.currency, sum(p.unallocated_amount),
                   sum(round(p.unallocated_amount * p.fx_rate, {places}))
            FROM {payment} p
            WHERE p.unallocated_amount > 0 AND p.received_on <= %s{extra}
            GROUP BY p.payer_id, p.currency
        """  # noqa: S608
        return _serial(sql, [as_of, *filters])
    sql = f"""
        WITH later AS MATERIALIZED (
            SELECT payment_id, sum(amount) AS amount FROM {allocation}
            WHERE allocated_on > %s GROUP BY payment_id
        ),
        items AS (
            SELECT p.payer_id, p.currency, p.fx_rate,
                   p.unallocated_amount + coalesce(l.amount, 0) AS amount
            FROM {payment} p LEFT JOIN later l ON l.payment_id = p.id
            WHERE p.unallocated_amount > 0 AND p.received_on <= %s{extra}
            UNION ALL
            -- Allocated in full since then: what was allocated after it was unapplied then.
            SELECT p.payer_id, p.currency, p.fx_rate, l.amount
            FROM {payment} p JOIN later l ON l.payment_id = p.id
            WHERE p.allocated_in_full_on > %s AND p.received_on <= %s{extra}
        )
        SELECT payer_id, currency, sum(amount), sum(round(amount * fx_rate, {places}))
        FROM items GROUP BY payer_id, currency
    """  # noqa: S608
    return _serial(sql, [as_of, as_of, *filters, as_of, as_of, *filters])


def compute_aging(
    business_unit: BusinessUnit,
    *,
    as_of: datetime.date,
    accounts: Sequence[int] | None = None,
    visible_invoices: Restriction | None = None,
    visible_payments: Restriction | None = None,
) -> Aging:
    """The aging of the current BU schema (no policy: see `receivables_aging`)."""
    group_currency = business_unit.group.currency
    places = minor_unit_exponent(group_currency)
    # Nothing is dated after today in the BU (documents refuse future dates).
    current = as_of >= business_unit.today()
    size = len(BUCKETS)
    rows = {
        (found[0], found[1]): AgingRow(
            found[0], found[1], found[2], found[3 : 3 + size], found[3 + size :]
        )
        for found in _invoice_rows(as_of, current, places, accounts, visible_invoices)
    }
    for account_id, currency, amount, amount_group in _unapplied_rows(
        as_of, current, places, accounts, visible_payments
    ):
        row = rows.get((account_id, currency))
        if row is None:
            row = rows[(account_id, currency)] = AgingRow(account_id, currency)
        row.unapplied, row.unapplied_group = amount, amount_group
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


def _open_orders(
    places: int, as_of: datetime.date, accounts: Sequence[int] | None
) -> dict[int, Decimal]:
    """Confirmed orders not cancelled, by account: their value not invoiced yet (group)."""
    order = _table(Order)
    extra, filters = _filters("account", accounts, None)
    sql = f"""
        SELECT account_id, sum(round((total - invoiced_amount) * fx_rate, {places}))
        FROM {order}
        WHERE confirmed AND status <> 'CANCELLED' AND invoiced_amount < total
          AND order_date <= %s{extra}
        GROUP BY account_id
    """  # noqa: S608
    return dict(_serial(sql, [as_of, *filters]))


def _receivables(
    as_of: datetime.date, current: bool, places: int, accounts: Sequence[int] | None
) -> dict[int, Decimal]:
    """Per account: open invoices less unapplied cash at `as_of`, in the group currency."""
    items, params = _open_invoices(as_of, current, places, accounts, None)
    sql = f"""
        SELECT account_id, sum(amount_group)
        FROM ({items}) AS items (account_id, currency, due_date, amount, amount_group)
        WHERE amount > 0
        GROUP BY account_id
    """  # noqa: S608
    found: dict[int, Decimal] = dict(_serial(sql, params))
    for account_id, _currency, _amount, amount_group in _unapplied_rows(
        as_of, current, places, accounts, None
    ):
        found[account_id] = found.get(account_id, Decimal(0)) - amount_group
    return found


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
    places = minor_unit_exponent(business_unit.group.currency)
    receivable = _receivables(as_of, as_of >= business_unit.today(), places, accounts)
    ordered = _open_orders(places, as_of, accounts)
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


def exposure_provider(
    business_unit: BusinessUnit,
    as_of: datetime.date,
    *,
    customer_ids: Collection[int] | None = None,
) -> list[CustomerExposure]:
    """The `receivables` aggregate's provider: called per BU, in its schema (all customers, or
    those of `customer_ids`: credit control asks for one)."""
    return exposures(business_unit, as_of, customer_ids=customer_ids)
