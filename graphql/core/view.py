"""The GraphQL endpoint of a cell: graphene-django's view with limits and typed errors."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from graphene.types.resolver import attr_resolver, dict_or_attr_resolver
from graphene.validation import DisableIntrospection
from graphene_django.views import GraphQLView
from graphql.pyutils import Path

from crm.graphql.core import errors, limits
from crm.graphql.core.loaders import Loaders
from crm.graphql.core.permissions import FieldPolicyMiddleware
from crm.graphql.core.uploads import multipart_operations
from crm.graphql.regions.freeze import writes_refused
from crm.platform.core.errors import CrmError
from crm.platform.permissions.registry import ObjectType
from graphql import (
    DocumentNode,
    ExecutionContext,
    ExecutionResult,
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
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


@dataclass(frozen=True, slots=True)
class _PlainField:
    """A field with no arguments whose value is a scalar or an enum and not personal data:
    read off its parent (graphene's default resolver: `resolver` is None) or by its resolver."""

    field: GraphQLField
    resolver: Callable[..., Any] | None
    attname: str
    default: Any
    serialize: Callable[[Any], Any]
    non_null: bool
    governed: tuple[ObjectType, str] | None


_FALLBACK = object()
_plain_fields: dict[tuple[GraphQLObjectType, str], _PlainField | None] = {}


def _plain_field(
    parent_type: GraphQLObjectType, name: str, policy: FieldPolicyMiddleware
) -> _PlainField | None:
    field = parent_type.fields.get(name)
    if field is None or field.args or field.resolve is None:
        return None
    value_type = field.type
    non_null = isinstance(value_type, GraphQLNonNull)
    if non_null:
        value_type = value_type.of_type
    if not isinstance(value_type, GraphQLScalarType | GraphQLEnumType):
        return None
    governed = policy.governed_field(parent_type.name, name)
    if governed is not None and governed[1] in governed[0].personal_names:
        return None  # a read of personal data is recorded: the middleware's path does that
    resolve = field.resolve
    if (
        isinstance(resolve, functools.partial)
        and resolve.func in (dict_or_attr_resolver, attr_resolver)
        and len(resolve.args) == 2
        and not resolve.keywords
    ):
        attname, default = resolve.args
        return _PlainField(field, None, attname, default, value_type.serialize, non_null, governed)
    return _PlainField(field, resolve, name, None, value_type.serialize, non_null, governed)


class SyncExecutionContext(ExecutionContext):
    """Every resolver here is synchronous (graphene-django runs them in the request's thread):
    no value needs the check for an awaitable that graphql-core makes for each field.

    Most fields of a list page are plain values read off the record (a name, a date, a
    status). graphql-core gives each the full treatment (resolve info, argument values,
    middleware, value completion), some 10 µs a field and a thousand fields a page; here such a
    field is read, checked against the field policy as `FieldPolicyMiddleware` would, and
    serialized directly. Anything else, or anything unusual about the value (a null where none
    may be, a hidden field, a value the scalar refuses), takes graphql-core's own path, which
    reports it as it always does.
    """

    @staticmethod
    def is_awaitable(_value: Any) -> bool:
        return False

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        fields: dict[str, list[FieldNode]],
    ) -> dict[str, Any]:
        policy = self._field_policy()
        results: dict[str, Any] = {}
        for response_name, field_nodes in fields.items():
            if policy is not None:
                value = self._read_plain(
                    policy, parent_type, source_value, field_nodes, path, response_name
                )
                if value is not _FALLBACK:
                    results[response_name] = value
                    continue
            result = self.execute_field(
                parent_type, source_value, field_nodes, Path(path, response_name, parent_type.name)
            )
            if result is not Undefined:
                results[response_name] = result
        return results

    def _field_policy(self) -> FieldPolicyMiddleware | None:
        """The field policy middleware when it is the only one (the direct path knows no
        other middleware); None turns the direct path off."""
        manager = self.middleware_manager
        if manager is None:
            return None
        middlewares = manager.middlewares
        if len(middlewares) != 1 or not isinstance(middlewares[0], FieldPolicyMiddleware):
            return None
        return middlewares[0]

    def _read_plain(
        self,
        policy: FieldPolicyMiddleware,
        parent_type: GraphQLObjectType,
        source: Any,
        field_nodes: list[FieldNode],
        path: Path | None,
        response_name: str,
    ) -> Any:
        node = field_nodes[0]
        name = node.name.value
        key = (parent_type, name)
        try:
            plain = _plain_fields[key]
        except KeyError:
            plain = _plain_fields[key] = _plain_field(parent_type, name, policy)
        if plain is None:
            return _FALLBACK
        if plain.governed is not None:
            object_type, policy_name = plain.governed
            access = getattr(self.context_value, "access", None)
            if not policy.readable(access, object_type, policy_name, source):
                return _FALLBACK
        if plain.resolver is not None:
            info = self.build_resolve_info(
                plain.field, field_nodes, parent_type, Path(path, response_name, parent_type.name)
            )
            try:
                value = plain.resolver(source, info)
            except Exception:  # graphql-core's path reports it
                return _FALLBACK
        elif isinstance(source, dict):
            value = source.get(plain.attname, plain.default)
        else:
            value = getattr(source, plain.attname, plain.default)
        if value is None:
            return _FALLBACK if plain.non_null else None
        try:
            serialized = plain.serialize(value)
        except Exception:  # graphql-core's path reports it
            return _FALLBACK
        if serialized is None or serialized is Undefined:
            return _FALLBACK
        return serialized


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
