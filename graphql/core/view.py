"""The GraphQL endpoint of a cell: graphene-django's view with limits and typed errors."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from graphene.validation import DisableIntrospection
from graphene_django.views import GraphQLView

from crm.graphql.core import errors, limits
from crm.graphql.core.loaders import Loaders
from crm.graphql.core.uploads import multipart_operations
from crm.graphql.regions.freeze import writes_refused
from crm.platform.core.errors import CrmError
from graphql import (
    DocumentNode,
    ExecutionContext,
    ExecutionResult,
    GraphQLError,
    execute,
    parse,
    specified_rules,
)

# Documents that parsed and validated, by their text (most recent last), for the process: a
# view is made per request. Validation depends only on the document, the schema and the rules,
# all fixed for the process; refusals are not kept (their messages are in the request's
# language). Integrators send a few shapes of query, often.
VALID_DOCUMENTS = 500
_valid_documents: OrderedDict[tuple[str, tuple[int, int, bool]], DocumentNode] = OrderedDict()
_valid_documents_lock = threading.Lock()


class SyncExecutionContext(ExecutionContext):
    """Every resolver here is synchronous (graphene-django runs them in the request's thread):
    no value needs the check for an awaitable that graphql-core makes for each field."""

    @staticmethod
    def is_awaitable(_value: Any) -> bool:
        return False


class CrmGraphQLView(GraphQLView):
    execution_context_class = SyncExecutionContext

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
        moving = writes_refused(request, query, operation_name)
        if moving is not None:  # the BU is moving to another region: no writes, any mutation
            return ExecutionResult(data=None, errors=[moving])
        key = (query or "", _rules_key())
        if query and request.method == "POST":
            with _valid_documents_lock:
                document = _valid_documents.get(key)
                if document is not None:
                    _valid_documents.move_to_end(key)
            if document is not None:
                return self._execute(request, document, variables, operation_name)
        result: ExecutionResult | None = super().execute_graphql_request(
            request, data, query, variables, operation_name, show_graphiql
        )
        if query and result is not None and result.data is not None and request.method == "POST":
            # It parsed, validated and ran: the same text next time skips the first two steps.
            _remember(key)
        return result

    def _execute(
        self, request: HttpRequest, document: DocumentNode, variables: Any, operation_name: Any
    ) -> ExecutionResult:
        """What graphene-django does after validation (mutations are not wrapped in one
        transaction here either: ATOMIC_MUTATIONS is off), for a document known to be valid."""
        options: dict[str, Any] = {
            "root_value": self.get_root_value(request),
            "context_value": self.get_context(request),
            "variable_values": variables,
            "operation_name": operation_name,
            "middleware": self.get_middleware(request),
            "execution_context_class": SyncExecutionContext,
        }
        try:
            result = cast(ExecutionResult, execute(self.schema.graphql_schema, document, **options))
        except Exception as error:  # graphene-django answers so too
            return ExecutionResult(errors=[GraphQLError(str(error), original_error=error)])
        return result

    @staticmethod
    def format_error(error: Exception) -> dict[str, Any]:
        return errors.format_error(error)


def _rules_key() -> tuple[int, int, bool]:
    """The settings the validation rules depend on (fixed in production; tests change them)."""
    return (
        settings.GRAPHQL_MAX_DEPTH,
        settings.GRAPHQL_MAX_ALIASES,
        settings.GRAPHQL_INTROSPECTION_ENABLED,
    )


def _remember(key: tuple[str, tuple[int, int, bool]]) -> None:
    try:
        document = parse(key[0])
    except GraphQLError:
        return
    with _valid_documents_lock:
        _valid_documents[key] = document
        while len(_valid_documents) > VALID_DOCUMENTS:
            _valid_documents.popitem(last=False)
