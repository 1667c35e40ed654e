"""GraphQL types of credit control: holds, releases and a customer's group-wide exposure.

Governed fields (tenants/creditcontrol/access.py) are null with FIELD_FORBIDDEN where the policy
hides them. Amounts are Money in the group currency (the currency of the credit limit).
"""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay
from graphql_relay import to_global_id
from moneyed import Money as MoneyValue

from crm.graphql.core.ids import BusinessUnitScopedId, scoped_global_id
from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import permissions_field
from crm.graphql.core.types import Money
from crm.graphql.groupviews.types import GroupViewCell, GroupViewCellStatus
from crm.graphql.ledger.types import DocumentReference, money
from crm.tenants.creditcontrol import models
from crm.tenants.creditcontrol.access import CREDIT_HOLD, CREDIT_RELEASE
from crm.tenants.creditcontrol.exposure import BusinessUnitExposure, CreditExposure

CreditHoldStatus = graphene.Enum.from_enum(
    models.HoldStatus, name="CreditHoldStatus", description="Where a credit hold stands."
)
CreditHoldReason = graphene.Enum.from_enum(
    models.HoldReason, name="CreditHoldReason", description="Why credit control held an order."
)


class CreditCustomer(graphene.ObjectType):
    """The golden customer a credit decision is about."""

    id = graphene.ID(required=True, description="Customer:<pk>")
    code = graphene.String(required=True)
    name = graphene.String(description="Legal name (given where the customer is loaded).")


def _customer(root: models.CreditFigures, _info: graphene.ResolveInfo) -> CreditCustomer:
    return CreditCustomer(id=to_global_id("Customer", root.customer_id), code=root.customer_code)


class CreditCheckCell(graphene.ObjectType):
    """A cell that did not answer the exposure's fan-out, and why."""

    region = graphene.String(required=True)
    status = graphene.Field(GroupViewCellStatus, required=True)
    detail = graphene.String(required=True)

    @staticmethod
    def resolve_region(root: dict[str, str], _info: graphene.ResolveInfo) -> str:
        return str(root["region"])

    @staticmethod
    def resolve_status(root: dict[str, str], _info: graphene.ResolveInfo) -> str:
        return str(root["status"])

    @staticmethod
    def resolve_detail(root: dict[str, str], _info: graphene.ResolveInfo) -> str:
        return str(root.get("detail", ""))


def _order(root: Any, _info: graphene.ResolveInfo) -> DocumentReference:
    order = root.order
    return DocumentReference(
        id=scoped_global_id("Order", order.pk), number=order.number, status=order.status
    )


def _amount(name: str) -> Any:
    def resolve(root: models.CreditFigures, _info: graphene.ResolveInfo) -> MoneyValue | None:
        return money(getattr(root, name), root.currency)

    return resolve


class _Figures:
    """What a hold and a release keep of the decision, in the group currency."""

    order = graphene.Field(DocumentReference, resolver=_order)
    customer = graphene.Field(CreditCustomer, resolver=_customer)
    amount = graphene.Field(
        Money, resolver=_amount("amount"), description="The order's total (group currency)."
    )
    exposure = graphene.Field(
        Money,
        resolver=_amount("exposure"),
        description="The customer's exposure before the order, of the cells that answered.",
    )
    credit_limit = graphene.Field(Money, resolver=_amount("credit_limit"))
    missing_cells = graphene.List(
        graphene.NonNull(CreditCheckCell),
        description="Cells that did not answer (empty: the exposure is complete).",
    )

    @staticmethod
    def resolve_missing_cells(
        root: models.CreditFigures, _info: graphene.ResolveInfo
    ) -> list[dict[str, str]]:
        return list(root.missing_cells)


class CreditHold(BusinessUnitScopedId, _Figures, graphene.ObjectType):
    """An order whose confirmation credit control refused; finance releases it."""

    class Meta:
        interfaces = (relay.Node,)

    status = graphene.Field(CreditHoldStatus)
    reason = graphene.Field(CreditHoldReason, description="Of the latest refused attempt.")
    attempts = graphene.Int(description="Refused confirmations of the order so far.")
    first_blocked_at = graphene.DateTime(required=True)
    last_blocked_at = graphene.DateTime(required=True)
    blocked_by = graphene.String(description="Who tried to confirm last.")
    cleared_at = graphene.DateTime(description="When a later check passed on its own.")
    release = graphene.Field(lambda: CreditRelease)
    permissions = permissions_field(CREDIT_HOLD)

    @staticmethod
    def resolve_status(root: models.CreditHold, _info: graphene.ResolveInfo) -> object:
        return models.HoldStatus(root.status)

    @staticmethod
    def resolve_reason(root: models.CreditHold, _info: graphene.ResolveInfo) -> object:
        return models.HoldReason(root.reason)

    @staticmethod
    def resolve_blocked_by(root: models.CreditHold, _info: graphene.ResolveInfo) -> str:
        return root.blocked_by_label

    @staticmethod
    def resolve_release(
        root: models.CreditHold, _info: graphene.ResolveInfo
    ) -> models.CreditRelease | None:
        try:
            return root.release
        except models.CreditRelease.DoesNotExist:
            return None


class CreditHoldConnection(CountedConnection):
    class Meta:
        node = CreditHold


class CreditRelease(BusinessUnitScopedId, _Figures, graphene.ObjectType):
    """Finance's release of a held order, for the amount released, with the figures seen."""

    class Meta:
        interfaces = (relay.Node,)

    hold = graphene.Field(CreditHold)
    comment = graphene.String()
    released_by = graphene.String()
    released_at = graphene.DateTime(required=True)
    used_at = graphene.DateTime(description="When the order's confirmation passed on it.")
    permissions = permissions_field(CREDIT_RELEASE)

    @staticmethod
    def resolve_released_by(root: models.CreditRelease, _info: graphene.ResolveInfo) -> str:
        return root.released_by_label


class CreditReleaseConnection(CountedConnection):
    class Meta:
        node = CreditRelease


# -- a customer's exposure ----------------------------------------------------------------------


class ExposureReport:
    """A customer's exposure with the names of the group's BUs (for the GraphQL type)."""

    def __init__(self, exposure: CreditExposure, names: dict[str, str]) -> None:
        self.exposure = exposure
        self.names = names

    def money(self, amount: Any) -> MoneyValue | None:
        return None if amount is None else money(amount, self.exposure.currency)


class CreditExposureBusinessUnit(graphene.ObjectType):
    """The customer's exposure in one BU."""

    region = graphene.String(required=True)
    business_unit = graphene.String(required=True, description="BU code.")
    business_unit_name = graphene.String(required=True)
    open_receivables = graphene.Field(Money, required=True)
    open_orders = graphene.Field(Money, required=True)
    exposure = graphene.Field(Money, required=True)

    @staticmethod
    def resolve_region(root: tuple[ExposureReport, BusinessUnitExposure], _i: Any) -> str:
        return root[1].region

    @staticmethod
    def resolve_business_unit(root: tuple[ExposureReport, BusinessUnitExposure], _i: Any) -> str:
        return root[1].business_unit

    @staticmethod
    def resolve_business_unit_name(
        root: tuple[ExposureReport, BusinessUnitExposure], _i: Any
    ) -> str:
        return root[0].names.get(root[1].business_unit, root[1].business_unit)

    @staticmethod
    def resolve_open_receivables(
        root: tuple[ExposureReport, BusinessUnitExposure], _i: Any
    ) -> object:
        return root[0].money(root[1].open_receivables)

    @staticmethod
    def resolve_open_orders(root: tuple[ExposureReport, BusinessUnitExposure], _i: Any) -> object:
        return root[0].money(root[1].open_orders)

    @staticmethod
    def resolve_exposure(root: tuple[ExposureReport, BusinessUnitExposure], _i: Any) -> object:
        return root[0].money(root[1].total)


class CustomerCreditExposure(graphene.ObjectType):
    """A golden customer's exposure across the group now, against its credit limit, with
    every cell's answer: a figure over fewer cells than asked is not `complete`."""

    customer = graphene.Field(CreditCustomer, required=True)
    as_of = graphene.Date(required=True, description="Every document dated by then counts.")
    currency = graphene.String(required=True, description="The group currency.")
    credit_limit = graphene.Field(Money, description="None: credit control does not apply.")
    open_receivables = graphene.Field(Money, required=True)
    open_orders = graphene.Field(Money, required=True)
    exposure = graphene.Field(Money, required=True, description="Of the cells that answered.")
    available = graphene.Field(
        Money, description="Limit less exposure (negative when over it); none without a limit."
    )
    complete = graphene.Boolean(required=True)
    missing_regions = graphene.List(graphene.NonNull(graphene.String), required=True)
    cells = graphene.List(graphene.NonNull(GroupViewCell), required=True)
    business_units = graphene.List(graphene.NonNull(CreditExposureBusinessUnit), required=True)

    @staticmethod
    def resolve_customer(root: ExposureReport, _info: graphene.ResolveInfo) -> CreditCustomer:
        customer = root.exposure.customer
        return CreditCustomer(
            id=to_global_id("Customer", customer.pk), code=customer.code, name=customer.legal_name
        )

    @staticmethod
    def resolve_as_of(root: ExposureReport, _info: graphene.ResolveInfo) -> object:
        return root.exposure.as_of

    @staticmethod
    def resolve_currency(root: ExposureReport, _info: graphene.ResolveInfo) -> str:
        return root.exposure.currency

    @staticmethod
    def resolve_credit_limit(root: ExposureReport, _info: graphene.ResolveInfo) -> object:
        return root.money(root.exposure.credit_limit)

    @staticmethod
    def resolve_open_receivables(root: ExposureReport, _info: graphene.ResolveInfo) -> object:
        return root.money(root.exposure.open_receivables)

    @staticmethod
    def resolve_open_orders(root: ExposureReport, _info: graphene.ResolveInfo) -> object:
        return root.money(root.exposure.open_orders)

    @staticmethod
    def resolve_exposure(root: ExposureReport, _info: graphene.ResolveInfo) -> object:
        return root.money(root.exposure.total)

    @staticmethod
    def resolve_available(root: ExposureReport, _info: graphene.ResolveInfo) -> object:
        return root.money(root.exposure.available)

    @staticmethod
    def resolve_complete(root: ExposureReport, _info: graphene.ResolveInfo) -> bool:
        return root.exposure.complete

    @staticmethod
    def resolve_missing_regions(root: ExposureReport, _info: graphene.ResolveInfo) -> list[str]:
        return root.exposure.missing_regions

    @staticmethod
    def resolve_cells(root: ExposureReport, _info: graphene.ResolveInfo) -> list[Any]:
        return root.exposure.cells

    @staticmethod
    def resolve_business_units(root: ExposureReport, _info: graphene.ResolveInfo) -> list[Any]:
        return [(root, unit) for unit in root.exposure.business_units]
