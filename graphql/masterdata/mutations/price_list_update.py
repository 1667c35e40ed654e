"""priceListUpdate: change the fields given; each must be writable for the caller at this stage."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.masterdata.types import PriceList
from crm.masterdata import price_lists
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class PriceListUpdate(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.ALREADY_EXISTS,
            ErrorCode.UNKNOWN_LANGUAGE,
            ErrorCode.PRICE_WINDOW_OVERLAP,
        )

    class Arguments:
        id = graphene.ID(required=True)
        code = graphene.String()
        names = graphene.List(graphene.NonNull(TranslationInput))
        valid_from = graphene.Date()
        valid_to = graphene.Date(description="Null makes the list open-ended.")

    price_list = graphene.Field(PriceList)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        changes = {
            key: arguments[key] for key in ("code", "valid_from", "valid_to") if key in arguments
        }
        if "valid_from" in changes and changes["valid_from"] is None:
            changes.pop("valid_from")
        if "names" in arguments:
            changes["name"] = translations(arguments["names"])
        price_list = price_lists.price_list_update(
            access=access, price_list_id=pk_of("PriceList", id), changes=changes
        )
        return {"price_list": price_list}
