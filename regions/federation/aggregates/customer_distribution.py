"""Accounts per BU by their golden customer's industry, country and grade: counts only.

Industry is the golden record's free text (a company's line of business, never a person's
data), carried as a label; country and grade as codes; null where the cell does not know the
golden record (its replica has not arrived) or the field is empty.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, ClassVar

from crm.regions.federation.contract import MAX_LABEL, Aggregate, Field, Kind, register
from crm.tenants.insights.distribution import compute_distribution
from crm.tenants.models import BusinessUnit


class CustomerDistribution(Aggregate):
    name: ClassVar[str] = "customer_distribution"
    row_fields: ClassVar[Mapping[str, Field]] = {
        "business_unit": Field(Kind.CODE),
        "industry": Field(Kind.LABEL, nullable=True),
        "country": Field(Kind.CODE, nullable=True),
        "grade": Field(Kind.CODE, nullable=True),
        "accounts": Field(Kind.COUNT),
    }

    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        return [
            {
                "business_unit": business_unit.code,
                "industry": cell.industry[:MAX_LABEL] if cell.industry else None,
                "country": cell.country,
                "grade": cell.grade,
                "accounts": cell.accounts,
            }
            for cell in compute_distribution(business_unit).cells
        ]


CUSTOMER_DISTRIBUTION = register(CustomerDistribution())
