"""Credit control queries: the holds (finance's worklist with `waiting: true`), the releases,
and a golden customer's group-wide exposure against its credit limit.

Filters are allowed only on fields the caller can read in every record they may view
(FIELD_FORBIDDEN otherwise). `customer` is a golden customer (Customer:<pk>), `order` an order
of the business unit (Order:<BU>.<pk>).
"""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import QuerySet
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.creditcontrol.types import (
    CreditHold,
    CreditHoldConnection,
    CreditHoldStatus,
    CreditRelease,
    CreditReleaseConnection,
    CustomerCreditExposure,
    ExposureReport,
)
from crm.graphql.masterdata.queries import forward_only
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.tenants.creditcontrol import holds, models, reports
from crm.tenants.creditcontrol.access import CREDIT_HOLD, CREDIT_RELEASE


class CreditHoldFilter(graphene.InputObjectType):
    waiting = graphene.Boolean(
        description="True: only those finance has to decide on (waiting, of an order neither "
        "confirmed nor cancelled); false: only the others."
    )
    status = graphene.List(graphene.NonNull(CreditHoldStatus))
    customer = graphene.ID(description="Customer:<pk> (golden)")
    order = graphene.ID(description="Order:<pk>")


class CreditReleaseFilter(graphene.InputObjectType):
    customer = graphene.ID(description="Customer:<pk> (golden)")
    order = graphene.ID(description="Order:<pk>")
    used = graphene.Boolean(description="Whether a confirmation passed on it yet.")


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


def filtered_holds(access: Access, given: dict[str, Any]) -> QuerySet[models.CreditHold]:
    if given.get("waiting") is not None:
        access.require_readable(CREDIT_HOLD, "status", argument="waiting")
    found = holds.holds(access, waiting=given.get("waiting"))
    if given.get("status"):
        access.require_readable(CREDIT_HOLD, "status", argument="status")
        found = found.filter(status__in=[_value(s) for s in given["status"]])
    if given.get("customer"):
        access.require_readable(CREDIT_HOLD, "customer", argument="customer")
        found = found.filter(customer_id=pk_of("Customer", given["customer"], field="customer"))
    if given.get("order"):
        access.require_readable(CREDIT_HOLD, "order", argument="order")
        found = found.filter(order_id=pk_of("Order", given["order"], field="order"))
    return found.select_related("release")


def filtered_releases(access: Access, given: dict[str, Any]) -> QuerySet[models.CreditRelease]:
    found = holds.releases(access)
    if given.get("customer"):
        access.require_readable(CREDIT_RELEASE, "customer", argument="customer")
        found = found.filter(customer_id=pk_of("Customer", given["customer"], field="customer"))
    if given.get("order"):
        access.require_readable(CREDIT_RELEASE, "order", argument="order")
        found = found.filter(order_id=pk_of("Order", given["order"], field="order"))
    if given.get("used") is not None:
        access.require_readable(CREDIT_RELEASE, "used_at", argument="used")
        found = found.filter(used_at__isnull=not given["used"])
    return found


def _page(
    info: graphene.ResolveInfo,
    kind: str,
    queryset: Any,
    ordering: Ordering,
    page: dict[str, Any],
) -> Any:
    try:
        forward_only(page.get("last"), page.get("before"))
        return keyset_page(
            queryset(caller(info)),
            kind=kind,
            key="id",
            first=page.get("first"),
            after=page.get("after"),
            ordering=ordering,
        )
    except CrmError as error:
        raise graphql_error(error) from error


class CreditControlQueries(graphene.ObjectType):
    credit_hold = graphene.Field(
        CreditHold, id=graphene.ID(required=True), description="One credit hold."
    )
    credit_holds = relay.ConnectionField(
        CreditHoldConnection,
        filter=graphene.Argument(CreditHoldFilter),
        description="Orders credit control held, latest refusal first; `waiting: true` is "
        "finance's worklist.",
    )
    credit_release = graphene.Field(
        CreditRelease, id=graphene.ID(required=True), description="One credit release."
    )
    credit_releases = relay.ConnectionField(
        CreditReleaseConnection,
        filter=graphene.Argument(CreditReleaseFilter),
        description="Finance's releases of held orders, newest first.",
    )
    customer_credit_exposure = graphene.Field(
        CustomerCreditExposure,
        required=True,
        customer=graphene.ID(required=True, description="Customer:<pk> (golden)"),
        description="A golden customer's open receivables and open orders in every BU of the "
        "group (from every cell, now, in the group currency) against its credit limit.",
    )

    @staticmethod
    def resolve_credit_hold(_root: None, info: graphene.ResolveInfo, id: str) -> object:
        try:
            return holds.get_hold(caller(info), pk_of("CreditHold", id))
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_credit_holds(
        _root: None, info: graphene.ResolveInfo, filter: dict[str, Any] | None = None, **page: Any
    ) -> Any:
        found = _page(
            info,
            "CreditHold",
            lambda access: filtered_holds(access, filter or {}),
            Ordering("last_blocked_at", descending=True),
            page,
        )
        return connection_from_page(CreditHoldConnection, found)

    @staticmethod
    def resolve_credit_release(_root: None, info: graphene.ResolveInfo, id: str) -> object:
        try:
            return holds.get_release(caller(info), pk_of("CreditRelease", id))
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_credit_releases(
        _root: None, info: graphene.ResolveInfo, filter: dict[str, Any] | None = None, **page: Any
    ) -> Any:
        found = _page(
            info,
            "CreditRelease",
            lambda access: filtered_releases(access, filter or {}),
            Ordering("released_at", descending=True),
            page,
        )
        return connection_from_page(CreditReleaseConnection, found)

    @staticmethod
    def resolve_customer_credit_exposure(
        _root: None, info: graphene.ResolveInfo, customer: str
    ) -> ExposureReport:
        try:
            access = caller(info)
            exposure = reports.customer_credit_exposure(
                access, pk_of("Customer", customer, field="customer")
            )
        except CrmError as error:
            raise graphql_error(error) from error
        return ExposureReport(exposure, reports.business_unit_names(access))
