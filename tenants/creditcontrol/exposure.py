"""A golden customer's group-wide credit exposure, from every cell, in the group currency.

Exposure is what the customer owes the group and has on order with it: open receivables (open
invoices less unapplied cash) and open orders (confirmed, not yet invoiced) in every BU of the
group, wherever the BU lives. Each cell computes its BUs' part (the `receivables` aggregate
with the `customer` parameter, so only that customer's accounts are read) and answers amounts
in the group currency, converted at each document's own dated rate; the asking cell adds them
up (`crm.regions.federation.fanout`: its own part in-process, the others over signed HTTP, one
deadline). A cell that did not answer is listed with its status: the exposure is then not
complete, and credit control does not take a partial figure for the whole.

The figure is the exposure as it stands now: the reporting date is the latest calendar date
anywhere (UTC+14), which no BU's "today" is past, so every document already dated in any BU is
counted, even in a BU whose day is ahead of the asking one's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from crm.masterdata.customers.models import Customer
from crm.regions.federation.contract import CellStatus
from crm.regions.federation.fanout import CellAnswer, GroupView, group_view

AGGREGATE = "receivables"
# The zone where a calendar day starts first: no place on Earth is past its date.
EARLIEST_ZONE = datetime.timezone(datetime.timedelta(hours=14))


def latest_business_date(now: datetime.datetime | None = None) -> datetime.date:
    """The latest calendar date anywhere right now (no BU's today is later)."""
    return (now or timezone.now()).astimezone(EARLIEST_ZONE).date()


@dataclass(frozen=True)
class BusinessUnitExposure:
    """The customer's exposure in one BU (group currency)."""

    region: str
    business_unit: str
    open_receivables: Decimal
    open_orders: Decimal

    @property
    def total(self) -> Decimal:
        return self.open_receivables + self.open_orders


@dataclass(frozen=True)
class CreditExposure:
    """One customer's exposure across the group: per BU, per cell, and in total."""

    customer: Customer
    view: GroupView
    business_units: tuple[BusinessUnitExposure, ...]

    @property
    def currency(self) -> str:
        return str(self.view.group.currency)

    @property
    def as_of(self) -> datetime.date:
        return self.view.as_of

    @property
    def credit_limit(self) -> Decimal | None:
        return self.customer.credit_limit

    @property
    def open_receivables(self) -> Decimal:
        return sum((unit.open_receivables for unit in self.business_units), Decimal(0))

    @property
    def open_orders(self) -> Decimal:
        return sum((unit.open_orders for unit in self.business_units), Decimal(0))

    @property
    def total(self) -> Decimal:
        """Of the cells that answered (see `complete`)."""
        return self.open_receivables + self.open_orders

    @property
    def cells(self) -> list[CellAnswer]:
        return list(self.view.cells)

    @property
    def complete(self) -> bool:
        return self.view.complete

    @property
    def missing(self) -> list[CellAnswer]:
        return [cell for cell in self.view.cells if cell.status is not CellStatus.OK]

    @property
    def missing_regions(self) -> list[str]:
        return self.view.missing_regions

    def missing_cells(self) -> list[dict[str, str]]:
        """The cells that did not answer, as kept with a hold or a release."""
        return [
            {"region": cell.region, "status": cell.status.value, "detail": cell.detail}
            for cell in self.missing
        ]

    @property
    def available(self) -> Decimal | None:
        """What is left under the limit (negative when over it); None without a limit."""
        if self.credit_limit is None:
            return None
        return self.credit_limit - self.total


def credit_exposure(customer: Customer, *, timeout: float | None = None) -> CreditExposure:
    """Ask every cell holding BUs of the customer's group for the customer's exposure now.

    `timeout` is the one deadline for every cell (default `settings.CREDIT_CHECK_TIMEOUT`)."""
    limit = settings.CREDIT_CHECK_TIMEOUT if timeout is None else timeout
    view = group_view(
        customer.group,
        AGGREGATE,
        {"customer": customer.code},
        as_of=latest_business_date(),
        timeout=limit,
    )
    units = tuple(
        BusinessUnitExposure(
            region=row["region"],
            business_unit=row["business_unit"],
            open_receivables=row["open_receivables"],
            open_orders=row["open_orders"],
        )
        for row in sorted(view.rows, key=lambda r: (r["region"], r["business_unit"]))
        if row["customer"] == customer.code
    )
    return CreditExposure(customer=customer, view=view, business_units=units)
