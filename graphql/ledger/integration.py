"""GraphQL of the events sent to the ERP and finance: the events with their deliveries (status,
attempts, last error), the endpoints receiving them, and the BU's signing key is
`automationWebhookSecret`.

An event's `payload` is the body as sent (signed: HMAC-SHA256 with the BU's webhook secret,
header X-CRM-Signature); each delivery has its own id (header X-CRM-Event-Id), the same on every
attempt and redelivery, and the body's `idempotency_key` names the business fact.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.automation.types import DeliveryStatusEnum
from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import BusinessUnitScopedId, pk_of, scoped_global_id
from crm.graphql.core.loaders import BatchLoader
from crm.graphql.core.pagination import (
    CountedConnection,
    Ordering,
    connection_from_page,
    keyset_page,
)
from crm.graphql.core.permissions import access_of, caller, permissions_field
from crm.graphql.masterdata.queries import forward_only
from crm.platform.core.errors import CrmError
from crm.tenants.automation.models import DeliveryStatus
from crm.tenants.ledger import integration, models
from crm.tenants.ledger.access import INTEGRATION_ENDPOINT, INTEGRATION_EVENT

IntegrationEventKind = graphene.Enum(
    "IntegrationEventKind",
    [(kind.name, kind.value) for kind in models.EventKind],
    description="CONTRACT_SIGNED is contract.signed in a payload's `kind`, and so on.",
)


def kind_values(kinds: list[Any] | None) -> list[str]:
    return [str(getattr(kind, "value", kind)) for kind in kinds or []]


class IntegrationEndpoint(BusinessUnitScopedId, graphene.ObjectType):
    """A receiver of the business unit's events (e.g. its ERP): where, and which kinds."""

    class Meta:
        interfaces = (relay.Node,)

    code = graphene.String()
    url = graphene.String()
    kinds = graphene.List(graphene.NonNull(IntegrationEventKind))
    active = graphene.Boolean()
    permissions = permissions_field(INTEGRATION_ENDPOINT)

    @classmethod
    def is_type_of(cls, root: Any, _info: graphene.ResolveInfo) -> bool:
        return isinstance(root, models.IntegrationEndpoint)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.IntegrationEndpoint | None:
        queryset = models.IntegrationEndpoint.objects.filter(pk=int(id)) if id.isdigit() else None
        if queryset is None:
            return None
        return access_of(info).visible(INTEGRATION_ENDPOINT, queryset).first()

    @staticmethod
    def resolve_kinds(root: models.IntegrationEndpoint, _info: graphene.ResolveInfo) -> Any:
        return list(root.kinds)


class IntegrationDelivery(graphene.ObjectType):
    """The event sent to one endpoint, attempt after attempt."""

    endpoint = graphene.String(required=True, description="The endpoint's code.")
    url = graphene.String(required=True, description="Where it was (or is being) sent.")
    delivery_id = graphene.UUID(
        required=True, description="Header X-CRM-Event-Id: the same on every attempt."
    )
    status = graphene.Field(DeliveryStatusEnum, required=True)
    attempts = graphene.Int(required=True, description="In the current round.")
    last_error = graphene.String(required=True, description="Of the latest attempt, if any.")
    response_status = graphene.Int(description="The receiver's HTTP status, latest attempt.")
    created_at = graphene.DateTime(required=True)
    delivered_at = graphene.DateTime()
    next_attempt_at = graphene.DateTime(description="While PENDING: when it is due.")
    redeliveries = graphene.Int(required=True, description="Times sent again on request.")
    redelivered_at = graphene.DateTime()
    redelivered_by = graphene.String(required=True)

    @staticmethod
    def resolve_endpoint(root: models.IntegrationDelivery, _info: graphene.ResolveInfo) -> str:
        return root.endpoint.code

    @staticmethod
    def resolve_url(root: models.IntegrationDelivery, _info: graphene.ResolveInfo) -> str:
        return root.webhook.url

    @staticmethod
    def resolve_delivery_id(root: models.IntegrationDelivery, _info: graphene.ResolveInfo) -> Any:
        return root.webhook.event_id

    @staticmethod
    def resolve_status(root: models.IntegrationDelivery, _info: graphene.ResolveInfo) -> str:
        return root.webhook.status

    @staticmethod
    def resolve_attempts(root: models.IntegrationDelivery, _info: graphene.ResolveInfo) -> int:
        return root.webhook.attempts

    @staticmethod
    def resolve_last_error(root: models.IntegrationDelivery, _info: graphene.ResolveInfo) -> str:
        return root.webhook.last_error

    @staticmethod
    def resolve_response_status(root: models.IntegrationDelivery, _info: Any) -> int | None:
        return root.webhook.response_status

    @staticmethod
    def resolve_created_at(root: models.IntegrationDelivery, _info: graphene.ResolveInfo) -> Any:
        return root.webhook.created_at

    @staticmethod
    def resolve_delivered_at(root: models.IntegrationDelivery, _info: graphene.ResolveInfo) -> Any:
        return root.webhook.delivered_at

    @staticmethod
    def resolve_next_attempt_at(root: models.IntegrationDelivery, _info: Any) -> Any:
        return root.webhook.next_attempt_at if root.webhook.status == "PENDING" else None


class IntegrationRecord(graphene.ObjectType):
    """The record an event is about."""

    type = graphene.String(required=True, description="Contract, Order, Invoice or Payment.")
    id = graphene.ID(required=True, description="Its global id.")


def _deliveries_loader(info: graphene.ResolveInfo) -> BatchLoader[int, list[Any]]:
    loader: BatchLoader[int, list[Any]] | None = getattr(info.context, "_event_deliveries", None)
    if loader is None:

        def batch(ids: list[int]) -> dict[int, list[models.IntegrationDelivery]]:
            found: dict[int, list[models.IntegrationDelivery]] = {pk: [] for pk in ids}
            rows = (
                models.IntegrationDelivery.objects.filter(event_id__in=ids)
                .select_related("webhook", "endpoint")
                .order_by("event_id", "endpoint__code")
            )
            for row in rows:
                found[row.event_id].append(row)
            return found

        loader = BatchLoader(batch)
        info.context._event_deliveries = loader
    return loader


class IntegrationEvent(BusinessUnitScopedId, graphene.ObjectType):
    """An event recorded for the ERP and finance, and its deliveries to the endpoints."""

    class Meta:
        interfaces = (relay.Node,)

    event_id = graphene.UUID(required=True, description="The body's `event_id`.")
    kind = graphene.Field(IntegrationEventKind)
    idempotency_key = graphene.String(description="Names the business fact: the same on resends.")
    record = graphene.Field(IntegrationRecord)
    payload = graphene.JSONString(description="The body as sent.")
    occurred_at = graphene.DateTime()
    delivery_status = graphene.Field(
        DeliveryStatusEnum,
        description="FAILED if a delivery failed, else PENDING if one is pending, else "
        "DELIVERED; null without deliveries (no endpoint received the kind).",
    )
    deliveries = graphene.List(graphene.NonNull(IntegrationDelivery))
    permissions = permissions_field(INTEGRATION_EVENT)

    @classmethod
    def is_type_of(cls, root: Any, _info: graphene.ResolveInfo) -> bool:
        return isinstance(root, models.IntegrationEvent)

    @classmethod
    def get_node(cls, info: graphene.ResolveInfo, id: str) -> models.IntegrationEvent | None:
        if not id.isdigit():
            return None
        queryset = models.IntegrationEvent.objects.filter(pk=int(id))
        return access_of(info).visible(INTEGRATION_EVENT, queryset).first()

    @staticmethod
    def resolve_kind(root: models.IntegrationEvent, _info: graphene.ResolveInfo) -> Any:
        return root.kind

    @staticmethod
    def resolve_record(root: models.IntegrationEvent, _info: graphene.ResolveInfo) -> Any:
        return IntegrationRecord(
            type=root.record_type, id=scoped_global_id(root.record_type, root.record_id)
        )

    @staticmethod
    def resolve_deliveries(root: models.IntegrationEvent, info: graphene.ResolveInfo) -> Any:
        return _deliveries_loader(info).load(root.pk)

    @staticmethod
    def resolve_delivery_status(root: models.IntegrationEvent, info: graphene.ResolveInfo) -> Any:
        statuses = {link.webhook.status for link in _deliveries_loader(info).load(root.pk)}
        for status in (DeliveryStatus.FAILED, DeliveryStatus.PENDING, DeliveryStatus.DELIVERED):
            if status in statuses:
                return status.value
        return None


class IntegrationEventConnection(CountedConnection):
    class Meta:
        node = IntegrationEvent


class IntegrationEventFilter(graphene.InputObjectType):
    kind = graphene.List(graphene.NonNull(IntegrationEventKind))
    occurred_from = graphene.Date(description="Inclusive, a day of the business unit's calendar.")
    occurred_to = graphene.Date(description="Inclusive.")
    delivery_status = graphene.Field(
        DeliveryStatusEnum, description="Events with a delivery in this status (e.g. FAILED)."
    )


class IntegrationQueries(graphene.ObjectType):
    integration_events = relay.ConnectionField(
        IntegrationEventConnection,
        filter=graphene.Argument(IntegrationEventFilter),
        description="The events sent to the business unit's ERP and finance, newest first.",
    )
    integration_event = graphene.Field(IntegrationEvent, id=graphene.ID(required=True))
    integration_endpoints = graphene.List(
        graphene.NonNull(IntegrationEndpoint),
        required=True,
        description="The business unit's receivers of events, by code.",
    )

    @staticmethod
    def resolve_integration_events(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> Any:
        given = filter or {}
        try:
            forward_only(last, before)
            access = caller(info)
            status = given.get("delivery_status")
            queryset = integration.filter_events(
                integration.listed_events(access),
                access.business_unit,
                kinds=kind_values(given.get("kind")),
                occurred_from=given.get("occurred_from"),
                occurred_to=given.get("occurred_to"),
                delivery_status=str(getattr(status, "value", status)) if status else None,
            )
            page = keyset_page(
                queryset,
                kind="IntegrationEvent",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("occurred_at", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        _deliveries_loader(info).expect(event.pk for event in page.records)
        return connection_from_page(IntegrationEventConnection, page)

    @staticmethod
    def resolve_integration_event(
        _root: None, info: graphene.ResolveInfo, id: str
    ) -> models.IntegrationEvent:
        try:
            return integration.get_event(caller(info), pk_of("IntegrationEvent", id))
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_integration_endpoints(_root: None, info: graphene.ResolveInfo) -> Any:
        try:
            return list(integration.endpoints(caller(info)).order_by("code"))
        except CrmError as error:
            raise graphql_error(error) from error
