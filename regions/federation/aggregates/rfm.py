"""RFM segments per BU: how many customers each segment holds, their orders and payments in the
window (group currency) and their recency days added up (so HQ can average them).

A customer is scored among its own BU's customers (`crm.tenants.insights.rfm`); the group view
adds the segments of every BU up (a company buying from two BUs counts in each). The request
names the window in months; the reporting date is the request's. Rows carry segment codes and
numbers only, never an account.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, ClassVar

from moneyed import Money

from crm.platform.core.errors import CrmError
from crm.platform.core.money import round_money
from crm.regions.federation.contract import (
    Aggregate,
    ContractError,
    Field,
    Kind,
    money_text,
    register,
)
from crm.tenants.insights import rfm as insight
from crm.tenants.models import BusinessUnit


def months_of(parameters: Mapping[str, Any]) -> int:
    if set(parameters) != {"months"}:
        raise ContractError("rfm takes exactly `months`")
    try:
        return insight.checked_months(parameters["months"])
    except CrmError:
        raise ContractError(f"months is not 1 to {insight.MAX_MONTHS}") from None


class RfmSegments(Aggregate):
    name: ClassVar[str] = "rfm"
    row_fields: ClassVar[Mapping[str, Field]] = {
        "business_unit": Field(Kind.CODE),
        "segment": Field(Kind.CODE),
        "customers": Field(Kind.COUNT),
        "orders": Field(Kind.COUNT),
        "monetary": Field(Kind.MONEY),
        "recency_days": Field(Kind.COUNT),
    }

    def clean_parameters(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        return {"months": months_of(parameters)}

    def read_rows(self, rows: Any) -> list[dict[str, Any]]:
        read = super().read_rows(rows)
        for row in read:
            if row["segment"] not in insight.Segment.values:
                raise ContractError(f"unknown segment {row['segment']!r}")
        return read

    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        scores = insight.compute_rfm(business_unit, as_of=as_of, months=months_of(parameters))
        currency = business_unit.group.currency
        return [
            {
                "business_unit": business_unit.code,
                "segment": summary.segment.value,
                "customers": summary.customers,
                "orders": summary.orders,
                "monetary": money_text(round_money(Money(summary.monetary, currency)).amount),
                "recency_days": summary.recency_days,
            }
            for summary in scores.segments()
            if summary.customers
        ]


RFM = register(RfmSegments())
