"""Integration events through the API and the services: contract.signed with its payment plan,
the events listed with their deliveries (filters, status), endpoints configured, an event sent
again as it was; who may do what; bad input refused with nothing changed; other BUs see nothing.

The worker's part (retries, back-off, final failure, the sweep) runs with a real Celery worker
in test_integration_worker.py; here deliveries are sent in-process (`deliver_webhook.apply`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.automation.models import DeliveryStatus, WebhookDelivery
from crm.tenants.automation.tasks import deliver_webhook, webhook_secret
from crm.tenants.contracts import services as contracts
from crm.tenants.ledger import integration
from crm.tenants.ledger.models import (
    EventKind,
    IntegrationDelivery,
    IntegrationEndpoint,
    IntegrationEvent,
)
from crm.tests.contracts.helpers import make_contract
from crm.tests.ledger.helpers import DE, JP, manager, user_in
from crm.tests.opportunities.helpers import access_of
from crm.tests.relationships.helpers import business_unit

pytestmark = pytest.mark.django_db


class Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(self.answers.pop(0) if self.answers else 200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def erp(settings: Any) -> Iterator[tuple[str, type[Receiver]]]:
    settings.AUTOMATION_WEBHOOKS_ALLOW_LOCAL = True
    Receiver.answers, Receiver.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/erp", Receiver
    server.shutdown()


@pytest.fixture
def eu(settings: Any, world: Any) -> Any:
    settings.REGION = "eu"
    return world


def send_all(schema: str = DE) -> list[WebhookDelivery]:
    """What the worker would do: every pending delivery of the BU, attempted to the end."""
    with schema_context(schema):
        pending = list(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING))
        for delivery in pending:
            deliver_webhook.apply(
                args=[delivery.pk],
                kwargs={"attempt": delivery.attempts + 1},
                headers={"_schema_name": schema},
            )
            delivery.refresh_from_db()
    return pending


def publish(kind: EventKind = EventKind.INVOICE_ISSUED, key: str = "INV-T1") -> IntegrationEvent:
    return integration.publish(
        kind,
        business_unit=business_unit("acme.de"),
        record_type="Invoice",
        record_id=7,
        idempotency_key=f"acme.de:{kind.value}:{key}",
        data={"number": key},
    )


def verified(headers: dict[str, str], body: bytes, handle: str = "acme.de") -> bool:
    secret = webhook_secret(business_unit(handle))
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-CRM-Signature"], expected)


def ask(graphql: Any, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
    kw.setdefault("bu", "acme.de")
    kw.setdefault("as_", "acme.de.manager")
    return graphql(query, variables, **kw)


EVENTS = """query($filter: IntegrationEventFilter, $after: String) {
  integrationEvents(first: 10, filter: $filter, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id eventId kind idempotencyKey occurredAt deliveryStatus
      record { type id } payload
      deliveries { endpoint url deliveryId status attempts lastError responseStatus
                   nextAttemptAt redeliveries redeliveredBy } } } } }"""
EVENT = """query($id: ID!) { integrationEvent(id: $id) { id kind deliveryStatus
  deliveries { endpoint status attempts } } }"""
ENDPOINTS = "{ integrationEndpoints { code url kinds active } }"
ENDPOINT_SET = """mutation($code: String!, $url: String!, $kinds: [IntegrationEventKind!]!,
                    $active: Boolean) {
  integrationEndpointSet(code: $code, url: $url, kinds: $kinds, active: $active) {
    errors { field code message } endpoint { code url kinds active } } }"""
REDELIVER = """mutation($event: ID!, $endpoint: String) {
  integrationEventRedeliver(event: $event, endpoint: $endpoint) {
    errors { field code message }
    event { id deliveryStatus deliveries { endpoint status attempts redeliveries } } } }"""


def gid(event: IntegrationEvent, handle: str = "acme.de") -> str:
    return to_global_id("IntegrationEvent", f"{business_unit(handle).pk}.{event.pk}")


def codes(reply: Any) -> list[tuple[str, str | None]]:
    assert reply.errors == [], reply.errors
    (payload,) = reply.data.values()
    return [(error["code"], error["field"]) for error in payload["errors"]]


def snapshot() -> list[dict[str, Any]]:
    """Every row the integration writes in acme.de, to check that a refusal changed nothing."""
    with schema_context(DE):
        return [
            model_to_dict(row)
            for model in (IntegrationEndpoint, IntegrationEvent, IntegrationDelivery)
            for row in model.objects.order_by("pk")
        ] + [
            {**model_to_dict(row), "next_attempt_at": row.next_attempt_at}
            for row in WebhookDelivery.objects.order_by("pk")
        ]


# -- contract signed ------------------------------------------------------------------------


def test_signing_a_contract_sends_contract_signed_with_its_lines_and_payment_plan(world, erp):
    url, server = erp
    terms = [{"percent": "30", "days": 0}, {"percent": "70", "days": 60}]
    contract = make_contract(codes=["M-001", "M-031"], quantities=["7", "3"], payment_terms=terms)
    sales = access_of("acme.de.sales", "de")
    with schema_context(DE):
        integration.endpoint_set(manager(), code="sap", url=url, kinds=["contract.signed"])
        contract = contracts.submit(sales, contract)
        contract = contracts.sign(sales, contract)
        event = IntegrationEvent.objects.get(kind="contract.signed")
        assert event.idempotency_key == f"acme.de:contract.signed:{contract.number}"
        assert event.record_type == "Contract"
        assert event.record_id == contract.pk
        data = event.payload["data"]
        assert data["number"] == contract.number
        assert data["total"] == "155.85"
        assert data["currency"] == "EUR"
        assert (data["net_total"], data["tax_total"]) == ("130.96", "24.89")
        plan = data["payment_plan"]
        assert [(p["percent"], p["amount"]) for p in plan] == [("30", "46.76"), ("70", "109.09")]
        assert sum(Decimal(p["amount"]) for p in plan) == Decimal(data["total"])
        assert [
            (line["material"], line["tax_rate"], line["tax_amount"]) for line in data["lines"]
        ] == [
            ("M-001", "19", "15.30"),
            ("M-031", "19", "9.59"),
        ]
        # Signing again is refused; the fact is recorded once whatever happens.
        with pytest.raises(CrmError):
            contracts.sign(sales, contract)
        assert IntegrationEvent.objects.filter(kind="contract.signed").count() == 1
    (delivery,) = send_all()
    assert delivery.status == DeliveryStatus.DELIVERED
    ((headers, body),) = server.received
    assert verified(headers, body)
    sent = json.loads(body)
    assert sent["event_id"] == str(event.event_id)
    assert headers["Idempotency-Key"] == sent["idempotency_key"] == event.idempotency_key
    assert headers["X-CRM-Event-Id"] == str(delivery.event_id)
    assert sent["record_id"].startswith("Q29udHJhY3Q6")  # "Contract:"


# -- the events and their deliveries through the API ----------------------------------------


def test_events_are_listed_with_their_deliveries_and_filtered(eu, graphql, erp):
    url, server = erp
    server.answers = [503] * 10  # the first event's delivery fails to the end
    with schema_context(DE):
        integration.endpoint_set(manager(), code="sap", url=url, kinds=["invoice.issued"])
        failing = publish(EventKind.INVOICE_ISSUED, "INV-T1")
        send_all()
        server.answers = []
        fine = publish(EventKind.INVOICE_ISSUED, "INV-T2")
        send_all()
        silent = publish(EventKind.PAYMENT_RECEIVED, "PAY-T1")  # nobody receives payments
    everything = ask(graphql, EVENTS).data["integrationEvents"]
    assert everything["totalCount"] == 3
    nodes = [edge["node"] for edge in everything["edges"]]
    assert [node["idempotencyKey"] for node in nodes] == [
        silent.idempotency_key,
        fine.idempotency_key,
        failing.idempotency_key,
    ]  # newest first
    assert [node["deliveryStatus"] for node in nodes] == [None, "DELIVERED", "FAILED"]
    failed = nodes[2]
    assert failed["kind"] == "INVOICE_ISSUED"
    assert failed["eventId"] == str(failing.event_id)
    assert json.loads(failed["payload"])["idempotency_key"] == failing.idempotency_key
    assert failed["record"]["type"] == "Invoice"
    (delivery,) = failed["deliveries"]
    assert delivery["endpoint"] == "sap"
    assert delivery["url"] == url
    assert delivery["status"] == "FAILED"
    assert delivery["attempts"] == 4
    assert (delivery["lastError"], delivery["responseStatus"]) == ("HTTP 503", 503)
    assert delivery["nextAttemptAt"] is None
    assert delivery["redeliveries"] == 0

    def keys(filter: dict[str, Any]) -> list[str]:
        reply = ask(graphql, EVENTS, {"filter": filter})
        assert reply.errors == [], reply.errors
        return [e["node"]["idempotencyKey"] for e in reply.data["integrationEvents"]["edges"]]

    assert keys({"kind": ["PAYMENT_RECEIVED"]}) == [silent.idempotency_key]
    assert keys({"deliveryStatus": "FAILED"}) == [failing.idempotency_key]
    assert keys({"deliveryStatus": "DELIVERED", "kind": ["INVOICE_ISSUED"]}) == [
        fine.idempotency_key
    ]
    today = business_unit("acme.de").today()
    assert len(keys({"occurredFrom": today.isoformat(), "occurredTo": today.isoformat()})) == 3
    tomorrow = today.fromordinal(today.toordinal() + 1)
    assert keys({"occurredFrom": tomorrow.isoformat()}) == []
    # Pages follow each other.
    first = ask(graphql, EVENTS.replace("first: 10", "first: 2")).data["integrationEvents"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = ask(
        graphql,
        EVENTS.replace("first: 10", "first: 2"),
        {"after": first["pageInfo"]["endCursor"]},
    ).data["integrationEvents"]
    assert [e["node"]["idempotencyKey"] for e in rest["edges"]] == [failing.idempotency_key]
    one = ask(graphql, EVENT, {"id": gid(failing)}).data["integrationEvent"]
    assert one["deliveryStatus"] == "FAILED"


def test_bad_filters_and_ids_are_typed_errors(eu, graphql):
    today = business_unit("acme.de").today()
    backwards = ask(
        graphql,
        EVENTS,
        {"filter": {"occurredFrom": today.isoformat(), "occurredTo": "2020-01-01"}},
    )
    assert backwards.codes == ["INVALID_ARGUMENT"]
    unknown_kind = ask(graphql, EVENTS, {"filter": {"kind": ["ORDER_SHIPPED"]}})
    assert unknown_kind.data is None
    assert unknown_kind.errors
    assert ask(graphql, EVENT, {"id": "not-an-id"}).codes == ["MALFORMED_ID"]
    assert ask(graphql, EVENT, {"id": to_global_id("Invoice", "1.1")}).codes == ["MALFORMED_ID"]
    with schema_context(DE):
        event = publish()
    assert ask(graphql, EVENT, {"id": gid(event)}).data["integrationEvent"]["kind"] == (
        "INVOICE_ISSUED"
    )
    missing = to_global_id("IntegrationEvent", f"{business_unit('acme.de').pk}.{event.pk + 999}")
    assert ask(graphql, EVENT, {"id": missing}).codes == ["NOT_FOUND"]


def test_other_business_units_and_groups_see_none_of_the_events(eu, graphql, erp, settings):
    url, _server = erp
    with schema_context(DE):
        integration.endpoint_set(manager(), code="sap", url=url, kinds=["invoice.issued"])
        event = publish()
    # The Japanese BU (another schema): its list is empty, the German id is not found there.
    jp_manager = user_in("acme.jp", "bu_manager")
    settings.REGION = "ap"
    mine = ask(graphql, EVENTS, bu="acme.jp", as_=jp_manager).data["integrationEvents"]
    assert mine["totalCount"] == 0
    assert ask(graphql, EVENT, {"id": gid(event)}, bu="acme.jp", as_=jp_manager).codes == [
        "NOT_FOUND"
    ]
    assert ask(graphql, ENDPOINTS, bu="acme.jp", as_=jp_manager).data["integrationEndpoints"] == []
    refused = ask(graphql, REDELIVER, {"event": gid(event)}, bu="acme.jp", as_=jp_manager)
    assert codes(refused) == [("NOT_FOUND", "event")]
    # Another group's administrator has no business unit of acme at all.
    settings.REGION = "cn"
    stranger = graphql(EVENTS, bu="rival.main", as_="rival.admin").data["integrationEvents"]
    assert stranger["totalCount"] == 0
    with schema_context(JP):
        assert IntegrationEvent.objects.count() == 0


# -- sending again ---------------------------------------------------------------------------


def test_an_event_sent_again_is_the_same_event_so_the_erp_can_tell(
    eu, graphql, erp, django_capture_on_commit_callbacks
):
    url, server = erp
    server.answers = [500] * 4
    with schema_context(DE):
        integration.endpoint_set(manager(), code="sap", url=url, kinds=["invoice.issued"])
        event = publish()
    (failed,) = send_all()
    assert failed.status == DeliveryStatus.FAILED
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = ask(graphql, REDELIVER, {"event": gid(event)})
    assert codes(reply) == []
    assert len(callbacks) == 1  # queued once the redelivery commits
    shown = reply.data["integrationEventRedeliver"]["event"]
    assert shown["deliveryStatus"] == "PENDING"
    assert shown["deliveries"] == [
        {"endpoint": "sap", "status": "PENDING", "attempts": 0, "redeliveries": 1}
    ]
    (again,) = send_all()
    assert again.pk == failed.pk
    assert again.status == DeliveryStatus.DELIVERED
    assert len(server.received) == 5
    bodies = {body for _headers, body in server.received}
    assert len(bodies) == 1  # byte for byte the same event
    ids = {headers["X-CRM-Event-Id"] for headers, _body in server.received}
    assert ids == {str(failed.event_id)}
    assert all(verified(headers, body) for headers, body in server.received)
    with schema_context(DE):
        link = IntegrationDelivery.objects.get(event=event)
        assert (link.redeliveries, link.redelivered_by) == (1, "acme.de.manager")
        assert link.redelivered_at is not None
    # Delivered, and asked for again (the ERP lost it): sent again, still the same event.
    assert codes(ask(graphql, REDELIVER, {"event": gid(event), "endpoint": "sap"})) == []
    send_all()
    assert len(server.received) == 6
    assert server.received[-1][1] in bodies


def test_an_endpoint_subscribed_later_gets_the_event_when_it_is_sent_again(eu, graphql, erp):
    url, server = erp
    with schema_context(DE):
        event = publish()  # nobody receives invoices yet
        assert not IntegrationDelivery.objects.exists()
        integration.endpoint_set(manager(), code="datev", url=url, kinds=["invoice.issued"])
    assert codes(ask(graphql, REDELIVER, {"event": gid(event)})) == []
    (delivery,) = send_all()
    assert delivery.status == DeliveryStatus.DELIVERED
    with schema_context(DE):
        link = IntegrationDelivery.objects.get(event=event)
        assert link.endpoint.code == "datev"
        assert delivery.event_id == integration.delivery_id(event, link.endpoint)
    assert json.loads(server.received[0][1])["event_id"] == str(event.event_id)


def test_sending_again_refuses_bad_input_and_changes_nothing(eu, graphql, erp):
    url, _server = erp
    with schema_context(DE):
        integration.endpoint_set(manager(), code="sap", url=url, kinds=["invoice.issued"])
        integration.endpoint_set(
            manager(), code="old", url=url, kinds=["invoice.issued"], active=False
        )
        integration.endpoint_set(manager(), code="bank", url=url, kinds=["payment.received"])
        event = publish()
        lonely = publish(EventKind.ORDER_CONFIRMED, "SO-T1")
    before = snapshot()
    cases = [
        ({"event": "garbage"}, [("MALFORMED_ID", "event")]),
        ({"event": to_global_id("Invoice", "1.1")}, [("MALFORMED_ID", "event")]),
        ({"event": gid(event), "endpoint": "nobody"}, [("NOT_FOUND", "endpoint")]),
        ({"event": gid(event), "endpoint": "old"}, [("INVALID_ARGUMENT", "endpoint")]),
        ({"event": gid(event), "endpoint": "bank"}, [("INVALID_ARGUMENT", "endpoint")]),
        ({"event": gid(lonely)}, [("INVALID_ARGUMENT", "event")]),
    ]
    for variables, expected in cases:
        assert codes(ask(graphql, REDELIVER, variables)) == expected, variables
    assert snapshot() == before


# -- endpoints ------------------------------------------------------------------------------


def test_endpoints_are_set_through_the_api_and_bad_input_changes_nothing(
    eu, graphql, erp, settings
):
    url, _server = erp
    made = ask(
        graphql,
        ENDPOINT_SET,
        {"code": "sap", "url": url, "kinds": ["INVOICE_ISSUED", "CONTRACT_SIGNED"]},
    )
    assert codes(made) == []
    assert made.data["integrationEndpointSet"]["endpoint"] == {
        "code": "sap",
        "url": url,
        "kinds": ["CONTRACT_SIGNED", "INVOICE_ISSUED"],
        "active": True,
    }
    changed = ask(
        graphql,
        ENDPOINT_SET,
        {"code": "sap", "url": url, "kinds": ["ORDER_CONFIRMED"], "active": False},
    )
    assert changed.data["integrationEndpointSet"]["endpoint"]["active"] is False
    assert ask(graphql, ENDPOINTS).data["integrationEndpoints"] == [
        {"code": "sap", "url": url, "kinds": ["ORDER_CONFIRMED"], "active": False}
    ]
    settings.AUTOMATION_WEBHOOKS_ALLOW_LOCAL = False
    before = snapshot()
    refused = [
        ({"code": "sap", "url": "http://erp.example.com/in", "kinds": ["ORDER_CONFIRMED"]}, "url"),
        ({"code": "sap", "url": url, "kinds": ["ORDER_CONFIRMED"]}, "url"),  # local, now refused
        ({"code": "sap", "url": "https://10.0.0.5/in", "kinds": ["ORDER_CONFIRMED"]}, "url"),
        (
            {"code": "s a p", "url": "https://erp.example.com/in", "kinds": ["ORDER_CONFIRMED"]},
            "code",
        ),
        (
            {"code": "x" * 41, "url": "https://erp.example.com/in", "kinds": ["ORDER_CONFIRMED"]},
            "code",
        ),
        ({"code": "sap", "url": "https://erp.example.com/in", "kinds": []}, "kinds"),
    ]
    for variables, field in refused:
        assert codes(ask(graphql, ENDPOINT_SET, variables)) == [("INVALID_ARGUMENT", field)]
    unknown = ask(
        graphql, ENDPOINT_SET, {"code": "sap", "url": "https://erp.example.com", "kinds": ["X"]}
    )
    assert unknown.data is None
    assert unknown.errors
    with schema_context(DE), pytest.raises(CrmError) as service:
        integration.endpoint_set(
            manager(), code="sap", url="https://erp.example.com/in", kinds=["order.shipped"]
        )
    assert service.value.code == ErrorCode.INVALID_ARGUMENT
    assert service.value.field == "kinds"
    assert snapshot() == before


# -- who may do what -------------------------------------------------------------------------


def test_who_may_read_send_again_and_configure(eu, graphql, erp):
    url, _server = erp
    with schema_context(DE):
        integration.endpoint_set(manager(), code="sap", url=url, kinds=["invoice.issued"])
        event = publish()
    integrator = user_in("acme.de", "integration")
    https = {"code": "sap", "url": "https://erp.example.com/in", "kinds": ["INVOICE_ISSUED"]}
    expectations = {
        # user: (lists events, may send again, may configure endpoints)
        "acme.de.manager": (True, True, True),
        integrator: (True, True, False),
        "acme.de.finance": (True, False, False),
        "acme.auditor": (True, False, False),
        "acme.de.sales": (False, False, False),
        "acme.de.legal": (False, False, False),
        "acme.admin": (True, True, True),
    }
    for user, (reads, resends, configures) in expectations.items():
        listed = ask(graphql, EVENTS, as_=user)
        if reads:
            assert listed.data["integrationEvents"]["totalCount"] == 1, user
        else:
            assert listed.codes == ["PERMISSION_DENIED"], user
        before = snapshot()
        resent = codes(ask(graphql, REDELIVER, {"event": gid(event)}, as_=user))
        if resends:
            assert resent == [], user
        else:
            assert resent in ([("PERMISSION_DENIED", None)], [("NOT_FOUND", "event")]), user
            assert snapshot() == before, user
        before = snapshot()
        configured = codes(ask(graphql, ENDPOINT_SET, https, as_=user))
        if configures:
            assert configured == [], user
        else:
            assert configured == [("PERMISSION_DENIED", None)], user
            assert snapshot() == before, user
