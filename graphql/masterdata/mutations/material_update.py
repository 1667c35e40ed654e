"""materialUpdate: change the fields given; each must be writable for the caller at this stage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.masterdata.types import Material, UnitOfMeasure
from crm.masterdata import models, services
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access

UNSET: Any = object()


class MaterialUpdate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
        )

    class Arguments:
        id = graphene.ID(required=True)
        code = graphene.String()
        unit = graphene.Argument(UnitOfMeasure)
        names = graphene.List(graphene.NonNull(TranslationInput))
        descriptions = graphene.List(graphene.NonNull(TranslationInput))
        standard_cost = graphene.Decimal(description="In the group currency.")
        category = graphene.String(description="A category code; null removes it.")

    material = graphene.Field(Material)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "code" in arguments:
            changes["code"] = arguments["code"]
        if "unit" in arguments:
            changes["unit"] = models.UnitOfMeasure(
                getattr(arguments["unit"], "value", arguments["unit"])
            )
        if "names" in arguments:
            changes["name"] = translations(arguments["names"])
        if "descriptions" in arguments:
            changes["description"] = translations(arguments["descriptions"])
        if "category" in arguments:
            changes["category"] = arguments["category"]
        if "standard_cost" in arguments:
            cost: Decimal | None = arguments["standard_cost"]
            changes["standard_cost"] = cost
        material = services.material_update(
            access=access, material_id=pk_of("Material", id), changes=changes
        )
        return {"material": material}
