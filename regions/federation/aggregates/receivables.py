"""Receivables per golden customer, for the group's credit exposure: open receivables and open
orders in the group currency, per BU and customer.

The aggregate's contract is fixed here and its numbers come from a provider registered with
`set_provider`: the ledger app (`crm.tenants.ledger.receivables.exposure_provider`) registers
itself when it is ready, in every cell. A cell without a provider answers that the aggregate is
UNAVAILABLE (reason NO_PROVIDER) and the HQ result says so per cell; it never answers zeros,
which would read as "no exposure".

A provider is called in the BU's schema with the BU and the reporting date, and returns one
`CustomerExposure` per golden customer with anything open, amounts in the group currency
already (converted the way the BU's documents are: at their dated rates).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from moneyed import Money

from crm.masterdata.customers.models import Customer
from crm.platform.core.money import round_money
from crm.regions.federation.contract import (
    Aggregate,
    AggregateUnavailableError,
    Field,
    Kind,
    money_text,
    register,
)
from crm.tenants.models import BusinessUnit, Group

NO_PROVIDER = "NO_PROVIDER"


@dataclass(frozen=True)
class CustomerExposure:
    """What one golden customer owes a BU and has on order with it, in the group currency."""

    customer_id: int  # the golden customer (shared schema) the BU's account points at
    open_receivables: Decimal
    open_orders: Decimal


ReceivablesProvider = Callable[[BusinessUnit, datetime.date], Iterable[CustomerExposure]]

_provider: ReceivablesProvider | None = None


def set_provider(provider: ReceivablesProvider | None) -> ReceivablesProvider | None:
    """Register the provider (None removes it); returns the one it replaces."""
    global _provider  # one provider per process, set when its app is ready
    previous, _provider = _provider, provider
    return previous


class CustomerReceivables(Aggregate):
    name: ClassVar[str] = "receivables"
    row_fields: ClassVar[Mapping[str, Field]] = {
        "business_unit": Field(Kind.CODE),
        "customer": Field(Kind.CODE),
        "open_receivables": Field(Kind.MONEY),
        "open_orders": Field(Kind.MONEY),
    }

    def check_available(self, group: Group) -> None:
        if _provider is None:
            raise AggregateUnavailableError(NO_PROVIDER)

    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        provider = _provider
        if provider is None:
            raise AggregateUnavailableError(NO_PROVIDER)
        currency = business_unit.group.currency
        exposures = list(provider(business_unit, as_of))
        codes = dict(
            Customer.objects.filter(
                group_id=business_unit.group_id, pk__in={e.customer_id for e in exposures}
            ).values_list("pk", "code")
        )
        rows = []
        for exposure in sorted(exposures, key=lambda e: codes.get(e.customer_id, "")):
            code = codes.get(exposure.customer_id)
            if code is None:
                raise ValueError(f"exposure for customer {exposure.customer_id} outside the group")
            rows.append(
                {
                    "business_unit": business_unit.code,
                    "customer": code,
                    "open_receivables": money_text(
                        round_money(Money(exposure.open_receivables, currency)).amount
                    ),
                    "open_orders": money_text(
                        round_money(Money(exposure.open_orders, currency)).amount
                    ),
                }
            )
        return rows


RECEIVABLES = register(CustomerReceivables())
