"""dataSubjectRequestCreate: file a person's request (access, portability, erasure) received by
e-mail, letter or form; due one calendar month after it was received."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.privacy.types import DataSubjectRequest, RequestKind
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.regions.privacy.requests import request_create


class DataSubjectRequestCreate(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT,)

    class Arguments:
        kind = graphene.Argument(RequestKind, required=True)
        email = graphene.String(description="The person's e-mail (or give a phone).")
        phone = graphene.String(description="The person's phone, international (+49 ...).")
        received_at = graphene.DateTime(description="When it arrived; default: now.")
        note = graphene.String(description="How it arrived, identity checks (no more data).")

    request = graphene.Field(DataSubjectRequest)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        request = request_create(
            access,
            kind=arguments["kind"],
            email=arguments.get("email"),
            phone=arguments.get("phone"),
            received_at=arguments.get("received_at"),
            note=arguments.get("note") or "",
        )
        return {"request": request}
