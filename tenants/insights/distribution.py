"""Customer distribution: the BU's accounts by their golden customer's industry, country and
grade (company-level master data, no personal data), counted in one grouped statement.

An account whose golden record this cell does not hold yet (its replica has not arrived) counts
with unknown industry, country and grade rather than being left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import Customer
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.insights.access import CUSTOMER_DISTRIBUTION, reach
from crm.tenants.insights.common import Restriction, condition, owned_by, restriction, serial, table
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit

DIMENSIONS = ("industry", "country", "grade")


@dataclass(frozen=True)
class DistributionCell:
    """Accounts of one industry, country and grade (None: not known)."""

    industry: str | None
    country: str | None
    grade: str | None
    accounts: int


@dataclass(frozen=True)
class Share:
    """Accounts of one value of one dimension (None: not known)."""

    key: str | None
    accounts: int


@dataclass
class Distribution:
    cells: list[DistributionCell]

    @property
    def total(self) -> int:
        return sum(cell.accounts for cell in self.cells)

    def by(self, dimension: str) -> list[Share]:
        """The accounts per value of `dimension`, most first (then by value, unknown last)."""
        key: Callable[[DistributionCell], str | None] = lambda cell: getattr(cell, dimension)  # noqa: E731
        counts: dict[str | None, int] = {}
        for cell in self.cells:
            counts[key(cell)] = counts.get(key(cell), 0) + cell.accounts
        return [
            Share(value, accounts)
            for value, accounts in sorted(
                counts.items(), key=lambda item: (-item[1], item[0] is None, item[0] or "")
            )
        ]


def compute_distribution(
    business_unit: BusinessUnit,
    *,
    accounts: Restriction = None,
    users: frozenset[int] | None = None,
) -> Distribution:
    """The distribution of the current BU schema's accounts (no policy: see `distribution`):
    those `accounts` restricts to, and of the sales owners `users` when given."""
    visible, params = condition("a.id", accounts)
    mine, owners = owned_by("a.sales_owner_id", users)
    sql = f"""
        SELECT nullif(c.industry, ''), nullif(c.country, ''), nullif(c.grade, ''), count(*)
        FROM {table(LocalCustomer)} a
        LEFT JOIN {table(Customer)} c ON c.id = a.customer_id AND c.group_id = %s
        WHERE TRUE{visible}{mine}
        GROUP BY 1, 2, 3
        ORDER BY 4 DESC, 1, 2, 3
    """  # noqa: S608  (table names from the models, values as parameters)
    rows: list[tuple[Any, ...]] = serial(sql, [business_unit.group_id, *params, *owners])
    return Distribution(cells=[DistributionCell(*row) for row in rows])


def distribution(access: Access) -> Distribution:
    """The distribution of the accounts the caller may view (their own where the policy says
    so), by golden-record fields they may read everywhere (FIELD_FORBIDDEN otherwise)."""
    reached = reach(access, CUSTOMER_DISTRIBUTION)
    access.require_some(Action.VIEW, LOCAL_CUSTOMER)
    access.require_readable(LOCAL_CUSTOMER, "customer", argument="customerDistribution")
    for name in DIMENSIONS:
        access.require_readable(CUSTOMER, name, argument="customerDistribution")
    visible = restriction(access.visible(LOCAL_CUSTOMER, LocalCustomer.objects.all()))
    return compute_distribution(access.business_unit, accounts=visible, users=reached.users)
