"""changeRequestFile: propose changes to a golden customer, with a reason, for HQ to decide."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.graphql.governance.types import ChangeRequest
from crm.masterdata.governance.services import file_request
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access


class FieldValueInput(graphene.InputObjectType):
    field = graphene.String(required=True, description="e.g. legal_name, tax_id, grade")
    value = graphene.String(required=True)


class ChangeRequestFile(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID)

    class Arguments:
        customer = graphene.ID(required=True)
        changes = graphene.List(graphene.NonNull(FieldValueInput), required=True)
        why = graphene.String(required=True, description="Why the change is needed.")

    change_request = graphene.Field(ChangeRequest)

    @classmethod
    def perform(
        cls,
        info: graphene.ResolveInfo,
        access: Access,
        *,
        customer: str,
        changes: list[dict[str, str]],
        why: str,
    ) -> dict[str, Any]:
        request = file_request(
            access=access,
            customer_id=pk_of("Customer", customer, field="customer"),
            changes={change["field"]: change["value"] for change in changes},
            reason=why,
        )
        return {"change_request": request}
