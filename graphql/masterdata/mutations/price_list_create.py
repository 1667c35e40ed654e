"""priceListCreate: a new HQ price list in the DRAFT stage."""

from __future__ import annotations

import datetime
from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.masterdata.types import PriceList, PriceScope
from crm.masterdata import models, price_lists
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class PriceListCoverageInput(graphene.InputObjectType):
    scope = graphene.Field(PriceScope, required=True)
    region = graphene.String(description="Region code, for a REGION list.")
    business_unit = graphene.String(description="BU code in the group, for a BU list.")


class PriceListCreate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.UNKNOWN_CURRENCY,
        )

    class Arguments:
        code = graphene.String(required=True)
        names = graphene.List(graphene.NonNull(TranslationInput), required=True)
        currency = graphene.String(required=True)
        coverage = graphene.Argument(PriceListCoverageInput, required=True)
        valid_from = graphene.Date(required=True)
        valid_to = graphene.Date()

    price_list = graphene.Field(PriceList)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        code: str,
        names: list[dict[str, str]],
        currency: str,
        coverage: dict[str, Any],
        valid_from: datetime.date,
        valid_to: datetime.date | None = None,
    ) -> dict[str, Any]:
        price_list = price_lists.price_list_create(
            access=access,
            code=code,
            names=translations(names),
            currency=currency,
            scope=models.PriceScope(getattr(coverage["scope"], "value", coverage["scope"])),
            region=coverage.get("region"),
            business_unit=coverage.get("business_unit"),
            valid_from=valid_from,
            valid_to=valid_to,
        )
        return {"price_list": price_list}
