"""Writes refused while a business unit moves to another region: one check for every mutation.

A region move freezes the BU (`RegionMove.frozen`) from its first step until the directory
names the new home. During that time every GraphQL mutation sent for the BU is refused with
BUSINESS_UNIT_MOVING before anything runs; queries still work, and so does signing in (it
writes no data of the BU). The request's BU comes from the middleware with `moving` already
known (one subquery in the same statement); only a BU chosen by host name is looked up here,
and only for a mutation.
"""

from __future__ import annotations

from django.http import HttpRequest
from graphql.utilities import get_operation_ast

from crm.graphql.core.errors import graphql_error
from crm.platform.core.errors import CrmError, ErrorCode
from crm.regions.models import RegionMove
from graphql import FieldNode, GraphQLError, OperationType, parse

# Root mutation fields that write nothing of the business unit.
ALLOWED_WHILE_MOVING = frozenset({"signIn"})


def writes_refused(
    request: HttpRequest, query: str | None, operation_name: str | None
) -> GraphQLError | None:
    """BUSINESS_UNIT_MOVING for a mutation sent to a frozen BU; None otherwise."""
    business_unit = getattr(request, "tenant", None)
    if business_unit is None or not query:
        return None
    moving = getattr(business_unit, "moving", None)
    if moving is None:
        if "mutation" not in query:
            return None
        moving = RegionMove.objects.filter(business_unit=business_unit, frozen=True).exists()
    if not moving:
        return None
    try:
        document = parse(query)
    except GraphQLError:
        return None  # the normal path reports the syntax error
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.MUTATION:
        return None
    roots = {
        selection.name.value
        for selection in operation.selection_set.selections
        if isinstance(selection, FieldNode)
    }
    if roots and roots <= ALLOWED_WHILE_MOVING:
        return None
    move = RegionMove.objects.filter(business_unit=business_unit, frozen=True).first()
    return graphql_error(
        CrmError(
            ErrorCode.BUSINESS_UNIT_MOVING,
            business_unit=business_unit.handle,
            region=move.target_region_id if move else "",
        )
    )
