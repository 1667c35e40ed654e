"""GraphQL types of change requests on golden customers."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import permissions_field
from crm.graphql.customers.types import Customer
from crm.masterdata.customers.models import Customer as CustomerModel
from crm.masterdata.governance import models
from crm.masterdata.governance.access import CHANGE_REQUEST
from crm.masterdata.governance.services import conflicts

RequestStatus = graphene.Enum.from_enum(models.RequestStatus)
RequestKind = graphene.Enum.from_enum(models.RequestKind)


class FieldValue(graphene.ObjectType):
    field = graphene.String(required=True)
    value = graphene.String(required=True)


class FieldConflict(graphene.ObjectType):
    field = graphene.String(required=True)
    filed = graphene.String(required=True, description="The value when the request was filed.")
    current = graphene.String(required=True, description="The value now.")


def field_values(values: dict[str, Any]) -> list[FieldValue]:
    """One entry per field; a translated one (trade_name) as `trade_name.<language>`."""
    flat: dict[str, str] = {}
    for field, value in values.items():
        if isinstance(value, dict):
            flat.update({f"{field}.{language}": str(text) for language, text in value.items()})
        else:
            flat[field] = str(value)
    return [FieldValue(field=k, value=v) for k, v in sorted(flat.items())]


def field_conflicts(changed: dict[str, tuple[str, str]]) -> list[FieldConflict]:
    return [FieldConflict(field=f, filed=a, current=b) for f, (a, b) in sorted(changed.items())]


class ChangeRequest(graphene.ObjectType):
    """A proposed change to a golden customer, or a proposed new one, filed by a business unit."""

    class Meta:
        interfaces = (relay.Node,)

    kind = graphene.Field(
        RequestKind, description="UPDATE an existing customer or CREATE a new one."
    )
    customer = graphene.Field(
        Customer,
        description="The customer to change (UPDATE); the one created, once approved (CREATE).",
    )
    proposed = graphene.List(
        graphene.NonNull(FieldValue),
        description="The proposed values (for CREATE, the whole new customer).",
    )
    base = graphene.List(graphene.NonNull(FieldValue), description="The values when filed.")
    conflicts = graphene.List(
        graphene.NonNull(FieldConflict),
        description="Fields changed since filing (pending requests).",
    )
    reason = graphene.String()
    status = graphene.Field(RequestStatus)
    filed_by = graphene.String(description="User name of the filer.")
    filed_at = graphene.DateTime()
    business_unit = graphene.String(description="BU it was filed from.")
    decision = graphene.String(description="The steward's note.")
    permissions = permissions_field(CHANGE_REQUEST)

    @staticmethod
    def resolve_kind(root: models.ChangeRequest, _info: graphene.ResolveInfo) -> Any:
        return models.RequestKind(root.kind)

    @staticmethod
    def resolve_customer(root: models.ChangeRequest, _info: graphene.ResolveInfo) -> Any:
        return root.customer

    @staticmethod
    def resolve_proposed(root: models.ChangeRequest, _info: graphene.ResolveInfo) -> Any:
        return field_values(root.proposed)

    @staticmethod
    def resolve_base(root: models.ChangeRequest, _info: graphene.ResolveInfo) -> Any:
        return field_values(root.base)

    @staticmethod
    def resolve_conflicts(root: models.ChangeRequest, _info: graphene.ResolveInfo) -> Any:
        if root.status != models.RequestStatus.PENDING or root.customer is None:
            return []
        customer: CustomerModel = root.customer
        return field_conflicts(conflicts(root, customer))

    @staticmethod
    def resolve_status(root: models.ChangeRequest, _info: graphene.ResolveInfo) -> Any:
        return models.RequestStatus(root.status)

    @staticmethod
    def resolve_filed_by(root: models.ChangeRequest, _info: graphene.ResolveInfo) -> Any:
        return root.filed_by.username if root.filed_by else None

    @staticmethod
    def resolve_business_unit(root: models.ChangeRequest, _info: graphene.ResolveInfo) -> str:
        return str(root.business_unit.code)

    @staticmethod
    def resolve_decision(root: models.ChangeRequest, _info: graphene.ResolveInfo) -> str:
        return root.decision_note


class ChangeRequestConnection(CountedConnection):
    class Meta:
        node = ChangeRequest
