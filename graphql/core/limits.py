"""Limits on what one GraphQL request may ask for: size, depth, aliases.

Each refusal is a typed error with its code in `extensions`, before anything executes.
"""

from __future__ import annotations

from typing import Any

from crm.platform.core.errors import CrmError, ErrorCode
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)


def _error(code: ErrorCode, **params: Any) -> GraphQLError:
    crm = CrmError(code, **params)
    return GraphQLError(crm.message, extensions=crm.as_extensions(), original_error=crm)


def query_size_error(query: str, limit: int) -> GraphQLError | None:
    if len(query.encode()) > limit:
        return _error(ErrorCode.QUERY_TOO_LARGE, limit=limit)
    return None


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visited: frozenset[str],
) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue  # introspection is bounded by the schema itself
            child = (
                1 + _depth(selection.selection_set, fragments, visited)
                if selection.selection_set
                else 0
            )
            deepest = max(deepest, child)
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, visited))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in visited:
                deepest = max(deepest, _depth(fragment.selection_set, fragments, visited | {name}))
    return deepest


def depth_limit_rule(limit: int) -> type[ValidationRule]:
    class DepthLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            context: ValidationContext = self.context
            fragments = {
                definition.name.value: definition
                for definition in context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            if _depth(node.selection_set, fragments, frozenset()) > limit:
                self.report_error(_error(ErrorCode.QUERY_TOO_DEEP, limit=limit))

    return DepthLimit


def alias_limit_rule(limit: int) -> type[ValidationRule]:
    class AliasLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.aliases = 0

        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            if node.alias is not None:
                self.aliases += 1
                if self.aliases == limit + 1:
                    self.report_error(_error(ErrorCode.TOO_MANY_ALIASES, limit=limit))

    return AliasLimit
