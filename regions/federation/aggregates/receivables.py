"""Receivables per golden customer, for the group's credit exposure: open receivables and open
orders in the group currency, per BU and customer.

The aggregate's contract is fixed here and its numbers come from a provider registered with
`set_provider`: the ledger app (`crm.tenants.ledger.receivables.exposure_provider`) registers
itself when it is ready, in every cell. A cell without a provider answers that the aggregate is
UNAVAILABLE (reason NO_PROVIDER) and the HQ result says so per cell; it never answers zeros,
which would read as "no exposure".

A provider is called in the BU's schema with the BU, the reporting date and the golden customers
asked for (`customer_ids`, None for all), and returns one `CustomerExposure` per golden customer
with anything open, amounts in the group currency already (converted the way the BU's documents
are: at their dated rates).

Parameters: none (every customer with anything open), or `customer`, one golden customer's code:
then each cell computes that customer's exposure only (what credit control asks before an order
is confirmed; it reads the customer's accounts from their indexes and stays fast in a large BU).
A code the cell does not know has no exposure there (no rows).
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from moneyed import Money

from crm.masterdata.customers.models import Customer
from crm.platform.core.money import round_money
from crm.regions.federation.contract import (
    CODE_PATTERN,
    Aggregate,
    AggregateUnavailableError,
    ContractError,
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


class ReceivablesProvider(Protocol):
    def __call__(
        self,
        business_unit: BusinessUnit,
        as_of: datetime.date,
        *,
        customer_ids: Collection[int] | None = None,
    ) -> Iterable[CustomerExposure]: ...


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

    def clean_parameters(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        extra = set(parameters) - {"customer"}
        if extra:
            raise ContractError(f"{self.name} takes no parameter {', '.join(sorted(extra))}")
        if "customer" not in parameters:
            return {}
        code = parameters["customer"]
        if not isinstance(code, str) or not CODE_PATTERN.match(code):
            raise ContractError("customer must be a golden customer's code")
        return {"customer": code}

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
        customer_ids: list[int] | None = None
        if "customer" in parameters:
            customer_ids = list(
                Customer.objects.filter(
                    group_id=business_unit.group_id, code=parameters["customer"]
                ).values_list("pk", flat=True)
            )
            if not customer_ids:
                return []
        exposures = list(provider(business_unit, as_of, customer_ids=customer_ids))
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
