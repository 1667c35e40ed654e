"""taxRateSave: create a tax rate of the BU, or change the one of that code and start day."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.quotes.types import TaxRate
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.quotes import taxes


class TaxRateSave(CrmMutation):
    class Meta:
        description = (
            "Create the tax rate `code` valid from `validFrom`, or change the one that starts "
            "that day. Windows of a code, of the default rates and of a category's rates never "
            "overlap. A line takes its explicit code's rate, else its category's, else the "
            "default one."
        )
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND)

    class Arguments:
        code = graphene.String(required=True)
        name = graphene.String()
        rate = graphene.Decimal(required=True, description="%")
        valid_from = graphene.Date(required=True)
        valid_to = graphene.Date(description="Inclusive; null is open.")
        material_category = graphene.String(description="A material category's code.")
        is_default = graphene.Boolean()

    tax_rate = graphene.Field(TaxRate)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        code: str,
        rate: Decimal,
        valid_from: datetime.date,
        name: str | None = None,
        valid_to: datetime.date | None = None,
        material_category: str | None = None,
        is_default: bool | None = None,
    ) -> dict[str, Any]:
        record = taxes.tax_rate_save(
            access,
            code=code,
            name=name or "",
            rate=rate,
            valid_from=valid_from,
            valid_to=valid_to,
            material_category=material_category or "",
            is_default=bool(is_default),
        )
        return {"tax_rate": record}
