"""The GraphQL endpoint of a cell: graphene-django's view with limits and typed errors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from graphene.validation import DisableIntrospection
from graphene_django.views import GraphQLView

from crm.graphql.core import errors, limits
from crm.graphql.core.loaders import Loaders
from crm.graphql.core.uploads import multipart_operations
from crm.platform.core.errors import CrmError
from graphql import ExecutionResult, GraphQLError, specified_rules


class CrmGraphQLView(GraphQLView):
    # A malformed multipart request, answered instead of running the operation.
    _upload_error: GraphQLError | None = None

    def __init__(self, **kwargs: Any) -> None:
        rules = [
            *specified_rules,
            limits.depth_limit_rule(settings.GRAPHQL_MAX_DEPTH),
            limits.alias_limit_rule(settings.GRAPHQL_MAX_ALIASES),
        ]
        if not settings.GRAPHQL_INTROSPECTION_ENABLED:
            rules.append(DisableIntrospection)
        kwargs.setdefault("graphiql", settings.GRAPHIQL_ENABLED)
        super().__init__(validation_rules=rules, **kwargs)

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        """Multipart requests follow the GraphQL multipart request spec (file uploads)."""
        if request.content_type == "multipart/form-data" and "operations" in request.POST:
            try:
                return multipart_operations(request)
            except CrmError as error:
                self._upload_error = errors.graphql_error(error)
                return {"query": "{ __typename }"}
        body: dict[str, Any] = super().parse_body(request)
        return body

    def get_context(self, request: HttpRequest) -> HttpRequest:
        request.loaders = Loaders(request)  # type: ignore[attr-defined]
        return request

    def execute_graphql_request(
        self,
        request: HttpRequest,
        data: Any,
        query: str | None,
        variables: Any,
        operation_name: str | None,
        show_graphiql: bool = False,
    ) -> ExecutionResult | None:
        refused = getattr(self, "_upload_error", None)
        if refused is not None:
            self._upload_error = None
            return ExecutionResult(data=None, errors=[refused])
        if query:
            too_large = limits.query_size_error(query, settings.GRAPHQL_MAX_QUERY_BYTES)
            if too_large is not None:
                return ExecutionResult(data=None, errors=[too_large])
        result: ExecutionResult | None = super().execute_graphql_request(
            request, data, query, variables, operation_name, show_graphiql
        )
        return result

    @staticmethod
    def format_error(error: Exception) -> dict[str, Any]:
        return errors.format_error(error)
