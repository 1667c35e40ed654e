"""Integration events: order confirmed, invoice issued, payment received are recorded once per
business fact (event id, idempotency key) and sent, signed, to the BU's ERP endpoint."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.automation.models import DeliveryStatus, WebhookDelivery
from crm.tenants.automation.tasks import deliver_webhook, webhook_secret
from crm.tenants.ledger import integration, orders
from crm.tenants.ledger.models import EventKind, IntegrationEvent
from crm.tests.ledger.helpers import (
    DE,
    deliver_all,
    issued_invoice,
    make_account,
    make_order,
    manager,
    pay,
)
from crm.tests.relationships.helpers import business_unit


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def erp(settings) -> Iterator[tuple[str, type[Receiver]]]:
    settings.AUTOMATION_WEBHOOKS_ALLOW_LOCAL = True
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/erp", Receiver
    server.shutdown()


def test_each_step_records_one_event_sent_signed_to_the_erp(
    world, erp, django_capture_on_commit_callbacks
):
    url, server = erp
    with schema_context(DE):
        integration.endpoint_set(
            manager(), code="sap", url=url, kinds=[kind.value for kind in EventKind]
        )
        account = make_account()
        order = make_order(manager(), account, [("M-001", "2", "10")])
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            orders.order_confirm(manager(), order)
        assert len(callbacks) == 1  # sent once the confirmation commits
        invoice = issued_invoice(deliver_all(order))
        payment = pay(account, "20.00", [(invoice, "20.00")], reference="RE-1")
        events = list(IntegrationEvent.objects.order_by("id"))
        assert [(e.kind, e.idempotency_key) for e in events] == [
            ("order.confirmed", f"acme.de:order.confirmed:{order.number}"),
            ("invoice.issued", f"acme.de:invoice.issued:{invoice.number}"),
            ("payment.received", f"acme.de:payment.received:{payment.number}"),
        ]
        assert events[1].payload["data"]["total"] == "20.00"
        assert events[2].payload["data"]["allocations"] == [
            {"invoice": invoice.number, "amount": "20.00"}
        ]
        deliveries = list(WebhookDelivery.objects.filter(rule=None).order_by("id"))
        assert [d.payload["event_id"] for d in deliveries] == [str(e.event_id) for e in events]
        for delivery in deliveries:
            deliver_webhook.apply(args=[delivery.pk], headers={"_schema_name": DE})
            delivery.refresh_from_db()
            assert delivery.status == DeliveryStatus.DELIVERED
    assert len(server.received) == 3
    secret = webhook_secret(business_unit("acme.de"))
    for (headers, body), delivery in zip(server.received, deliveries, strict=True):
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-CRM-Signature"] == expected
        assert headers["X-CRM-Event-Id"] == str(delivery.event_id)
        payload = json.loads(body)
        assert payload["idempotency_key"].startswith("acme.de:")
        assert payload["business_unit"] == "acme.de"
    assert json.loads(server.received[0][1])["record_id"].startswith("T3JkZXI6")  # "Order:"


def test_the_same_fact_is_recorded_and_sent_once(world, erp):
    url, _server = erp
    with schema_context(DE):
        integration.endpoint_set(manager(), code="sap", url=url, kinds=["invoice.issued"])
        unit = business_unit("acme.de")
        first = integration.publish(
            EventKind.INVOICE_ISSUED,
            business_unit=unit,
            record_type="Invoice",
            record_id=1,
            idempotency_key="acme.de:invoice.issued:INV-X",
            data={},
        )
        again = integration.publish(
            EventKind.INVOICE_ISSUED,
            business_unit=unit,
            record_type="Invoice",
            record_id=1,
            idempotency_key="acme.de:invoice.issued:INV-X",
            data={"changed": True},
        )
        assert again.pk == first.pk
        assert IntegrationEvent.objects.count() == 1
        assert WebhookDelivery.objects.filter(rule=None).count() == 1
        # A kind the endpoint did not subscribe to is recorded, not sent.
        integration.publish(
            EventKind.PAYMENT_RECEIVED,
            business_unit=unit,
            record_type="Payment",
            record_id=1,
            idempotency_key="acme.de:payment.received:PAY-X",
            data={},
        )
        assert IntegrationEvent.objects.count() == 2
        assert WebhookDelivery.objects.filter(rule=None).count() == 1


def test_endpoints_are_checked_and_configured_by_those_who_configure_automation(world, settings):
    settings.AUTOMATION_WEBHOOKS_ALLOW_LOCAL = False
    with schema_context(DE):
        with pytest.raises(CrmError) as insecure:
            integration.endpoint_set(
                manager(), code="sap", url="http://erp.example.com/in", kinds=["order.confirmed"]
            )
        assert insecure.value.code == ErrorCode.INVALID_ARGUMENT
        with pytest.raises(CrmError) as unknown:
            integration.endpoint_set(
                manager(), code="sap", url="https://erp.example.com/in", kinds=["order.shipped"]
            )
        assert unknown.value.code == ErrorCode.INVALID_ARGUMENT
        from crm.tests.ledger.helpers import finance

        with pytest.raises(CrmError) as denied:
            integration.endpoint_set(
                finance(), code="sap", url="https://erp.example.com/in", kinds=["order.confirmed"]
            )
        assert denied.value.code == ErrorCode.PERMISSION_DENIED
