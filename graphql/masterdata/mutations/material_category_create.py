"""materialCategoryCreate: a node of the group's material tree, under a parent or at the top."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.masterdata.types import MaterialCategory
from crm.masterdata import services
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class MaterialCategoryCreate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.NOT_FOUND,
        )

    class Arguments:
        code = graphene.String(required=True)
        names = graphene.List(graphene.NonNull(TranslationInput), required=True)
        parent = graphene.String(description="The parent category's code.")

    category = graphene.Field(MaterialCategory)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        code: str,
        names: list[dict[str, str]],
        parent: str | None = None,
    ) -> dict[str, Any]:
        category = services.category_create(
            access=access, code=code, names=translations(names), parent=parent
        )
        return {"category": category}
