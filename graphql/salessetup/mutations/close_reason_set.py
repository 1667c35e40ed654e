"""closeReasonSet: HQ creates or renames a reason deals are won or lost."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.core.types import TranslationInput, translations
from crm.graphql.salessetup.types import CloseKind, CloseReason
from crm.masterdata.sales.services import close_reason_set
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class CloseReasonSet(CrmMutation):
    class Meta:
        description = "Create a close reason of the group (by kind and code), or rename it."
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.UNKNOWN_LANGUAGE)

    class Arguments:
        kind = CloseKind(required=True)
        code = graphene.String(required=True)
        names = graphene.List(graphene.NonNull(TranslationInput))

    close_reason = graphene.Field(CloseReason)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        kind: Any,
        code: str,
        names: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        reason = close_reason_set(
            access,
            kind=str(getattr(kind, "value", kind)),
            code=code,
            names=translations(names),
        )
        return {"close_reason": reason}
