"""changeRequestApprove: apply a request (optionally amended) atomically, as the steward."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.customers.types import DuplicateCandidate
from crm.graphql.governance.mutations.change_request_file import FieldValueInput
from crm.graphql.governance.types import ChangeRequest, FieldConflict, field_conflicts
from crm.masterdata.governance.services import approve
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access


class ChangeRequestApprove(CrmMutation):
    class Meta:
        error_codes = (
            ErrorCode.NOT_FOUND,
            ErrorCode.MALFORMED_ID,
            ErrorCode.INVALID_ARGUMENT,
            ErrorCode.INVALID_TAX_ID,
            ErrorCode.DUPLICATE_SUSPECTED,
            ErrorCode.CHANGE_CONFLICT,
            ErrorCode.ALREADY_DECIDED,
        )

    class Arguments:
        id = graphene.ID(required=True)
        amendments = graphene.List(
            graphene.NonNull(FieldValueInput), description="Values to apply instead."
        )
        accept_conflicts = graphene.Boolean(
            default_value=False, description="Apply although the record changed since filing."
        )
        confirm_duplicate = graphene.Boolean(default_value=False)
        note = graphene.String(default_value="")

    change_request = graphene.Field(ChangeRequest)
    conflicts = graphene.List(graphene.NonNull(FieldConflict))
    duplicates = graphene.List(graphene.NonNull(DuplicateCandidate))

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, *, id: str, **arguments: Any
    ) -> dict[str, Any]:
        amendments = {a["field"]: a["value"] for a in arguments.get("amendments") or []}
        try:
            request = approve(
                access=access,
                request_id=pk_of("ChangeRequest", id),
                amendments=amendments,
                accept_conflicts=bool(arguments.get("accept_conflicts")),
                note=arguments.get("note") or "",
                confirm_duplicate=bool(arguments.get("confirm_duplicate")),
            )
        except CrmError as error:
            if "conflicts" in error.payload:
                error.payload["conflicts"] = field_conflicts(error.payload["conflicts"])
            raise
        return {"change_request": request, "conflicts": [], "duplicates": []}
