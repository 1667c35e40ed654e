"""signIn: a user name and password for a bearer token that expires (USER_TOKEN_LIFETIME)."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.platform.accounts.authentication import sign_in
from crm.platform.core.errors import CrmError, ErrorCode


class SignIn(CrmMutation):
    """The one mutation open without a token."""

    class Meta:
        error_codes = (ErrorCode.INVALID_CREDENTIALS,)

    class Arguments:
        username = graphene.String(required=True)
        password = graphene.String(required=True)

    token = graphene.String(description="Send as “Authorization: Bearer <token>”.")
    expires_at = graphene.DateTime()

    @classmethod
    def mutate(cls, _root: None, info: graphene.ResolveInfo, **arguments: Any) -> SignIn:
        try:
            token, record = sign_in(username=arguments["username"], password=arguments["password"])
        except CrmError as error:
            return cls(
                errors=[
                    cls.error_type(field=error.field, code=error.code.value, message=error.message)
                ]
            )
        return cls(errors=[], token=token, expires_at=record.expires_at)
