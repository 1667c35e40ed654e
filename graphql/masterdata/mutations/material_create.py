"""materialCreate: a new material in the DRAFT stage, written by whom the policy allows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.masterdata.types import Material, UnitOfMeasure
from crm.masterdata import models, services
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class MaterialCreate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
        )

    class Arguments:
        code = graphene.String(required=True)
        unit = graphene.Argument(UnitOfMeasure, required=True)
        names = graphene.List(graphene.NonNull(TranslationInput), required=True)
        descriptions = graphene.List(graphene.NonNull(TranslationInput))
        standard_cost = graphene.Decimal(description="In the group currency.")
        category = graphene.String(description="A material category code.")

    material = graphene.Field(Material)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        code: str,
        unit: Any,
        names: list[dict[str, str]],
        descriptions: list[dict[str, str]] | None = None,
        standard_cost: Decimal | None = None,
        category: str | None = None,
    ) -> dict[str, Any]:
        material = services.material_create(
            access=access,
            code=code,
            unit=models.UnitOfMeasure(getattr(unit, "value", unit)),
            names=translations(names),
            descriptions=translations(descriptions),
            standard_cost=standard_cost,
            category=category,
        )
        return {"material": material}
