"""The receivables aging per BU: open invoices by days past due and unapplied cash, in the group
currency, as of the reporting date (one row per BU; see `crm.tenants.ledger.receivables`).

Unlike `receivables` (credit exposure per golden customer), this names no customer at all: it
is the group's dashboard of money owed, by bucket.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from moneyed import Money

from crm.platform.core.money import round_money
from crm.regions.federation.contract import Aggregate, Field, Kind, money_text, register
from crm.tenants.models import BusinessUnit

# The ledger's buckets, in its order (crm.tenants.ledger.receivables.BUCKETS; a change there
# makes the cell's own contract check refuse its rows).
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


class ReceivablesAging(Aggregate):
    name: ClassVar[str] = "receivables_aging"
    row_fields: ClassVar[Mapping[str, Field]] = {
        "business_unit": Field(Kind.CODE),
        "invoices": Field(Kind.COUNT),
        **{bucket: Field(Kind.MONEY) for bucket in BUCKETS},
        "unapplied": Field(Kind.MONEY),
    }

    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        # Imported here: the ledger's receivables import this package (the exposure aggregate).
        from crm.tenants.ledger.receivables import compute_aging

        aging = compute_aging(business_unit, as_of=as_of)
        currency = aging.group_currency

        def money(amount: Decimal) -> str:
            return money_text(round_money(Money(amount, currency)).amount)

        unapplied = sum((row.unapplied_group for row in aging.rows), Decimal(0))
        return [
            {
                "business_unit": business_unit.code,
                "invoices": sum(row.invoices for row in aging.rows),
                **{bucket: money(amount) for bucket, amount in aging.buckets_group().items()},
                "unapplied": money(unapplied),
            }
        ]


RECEIVABLES_AGING = register(ReceivablesAging())
