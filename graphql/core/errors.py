"""How typed errors appear in GraphQL: the code enum in the schema, and error entries."""

from __future__ import annotations

from typing import Any

import graphene

from crm.platform.core.errors import CrmError
from crm.platform.core.errors import ErrorCode as DomainErrorCode
from crm.replication.readonly import read_only_error
from graphql import GraphQLError

ErrorCode = graphene.Enum.from_enum(DomainErrorCode, description="Every error code of the API.")


class Error(graphene.ObjectType):
    """A typed error: the input `field` it concerns, a stable `code`, a translated `message`."""

    field = graphene.String()
    code = graphene.Field(ErrorCode, required=True)
    message = graphene.String(required=True)


def graphql_error(error: CrmError) -> GraphQLError:
    """A GraphQL error entry carrying the code, field and parameters in `extensions`."""
    return GraphQLError(error.message, extensions=error.as_extensions(), original_error=error)


def format_error(error: Exception) -> dict[str, Any]:
    if isinstance(error, GraphQLError):
        formatted: dict[str, Any] = dict(error.formatted)
        original = error.original_error
        if original is not None and not isinstance(original, CrmError):
            original = read_only_error(original) or original
        if isinstance(original, CrmError):
            formatted["message"] = original.message
            formatted["extensions"] = original.as_extensions()
        return formatted
    return {"message": str(error)}
