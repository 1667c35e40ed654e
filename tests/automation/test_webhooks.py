"""Webhooks: the outbox row, then a signed POST to a real local HTTP server, retried on 500."""

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

from crm.platform.core.errors import CrmError
from crm.tenants.automation import events
from crm.tenants.automation.definitions import clean_url
from crm.tenants.automation.models import DeliveryStatus, Firing, WebhookDelivery
from crm.tenants.automation.tasks import backoff_seconds, deliver_webhook, webhook_secret
from crm.tests.automation.helpers import access, bu, lead, rule

pytestmark = pytest.mark.django_db


class Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        status = self.answers.pop(0) if self.answers else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[Receiver]]]:
    Receiver.answers, Receiver.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver
    server.shutdown()


def test_a_webhook_is_signed_retried_on_500_and_delivered_once(
    world, receiver, settings, django_capture_on_commit_callbacks
):
    url, server = receiver
    settings.AUTOMATION_WEBHOOKS_ALLOW_LOCAL = True
    server.answers = [500]
    with schema_context("bu_acme_de"):
        made = rule(
            record_type="lead", trigger="CREATED", actions=[{"type": "WEBHOOK", "url": url}]
        )
        record = lead()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            events.record_created(access("acme.de.manager"), "lead", record)
        assert len(callbacks) == 1  # queued only once the write commits
        delivery = WebhookDelivery.objects.get(rule=made)
        assert delivery.status == DeliveryStatus.PENDING
        assert Firing.objects.get(rule=made).outcome["actions"][0]["delivery"] == delivery.pk
        # The worker's run, here in-process: the first answer is 500, the retry gets 200.
        deliver_webhook.apply(args=[delivery.pk], headers={"_schema_name": "bu_acme_de"})
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.DELIVERED
        assert delivery.attempts == 2
        assert delivery.response_status == 200
        deliver_webhook.apply(args=[delivery.pk], headers={"_schema_name": "bu_acme_de"})
    assert len(server.received) == 2  # delivered, then never again
    headers, body = server.received[-1]
    secret = webhook_secret(bu())
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-CRM-Signature"] == expected
    assert headers["X-CRM-Event-Id"] == str(delivery.event_id)
    payload = json.loads(body)
    assert payload["rule"] == made.code
    assert payload["record_type"] == "lead"
    assert payload["event_id"] == str(delivery.event_id)
    assert "email" not in payload


def test_a_webhook_failing_every_time_ends_failed(world, receiver, settings):
    url, server = receiver
    settings.AUTOMATION_WEBHOOKS_ALLOW_LOCAL = True
    server.answers = [503] * 20
    with schema_context("bu_acme_de"):
        delivery = WebhookDelivery.objects.create(
            url=url, event_id="6f7a1c2e-0000-4000-8000-000000000001", payload={"x": 1}
        )
        deliver_webhook.apply(args=[delivery.pk], headers={"_schema_name": "bu_acme_de"})
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == settings.AUTOMATION_WEBHOOK_ATTEMPTS  # 4 in the tests
    assert len(server.received) == settings.AUTOMATION_WEBHOOK_ATTEMPTS
    assert delivery.last_error == "HTTP 503"
    assert delivery.next_attempt_at is None  # kept as FAILED, due never (until sent again)


def test_the_back_off_doubles_with_jitter_and_is_capped(settings):
    settings.AUTOMATION_WEBHOOK_BACKOFF = 30.0
    settings.AUTOMATION_WEBHOOK_BACKOFF_MAX = 3600.0
    for attempt, step in ((1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (12, 3600)):
        waits = [backoff_seconds(attempt) for _ in range(200)]
        assert all(step / 2 <= wait <= step for wait in waits), attempt
        assert len(set(waits)) > 1  # jittered


def test_a_message_for_an_attempt_made_already_does_nothing(world, receiver, settings):
    url, server = receiver
    settings.AUTOMATION_WEBHOOKS_ALLOW_LOCAL = True
    with schema_context("bu_acme_de"):
        delivery = WebhookDelivery.objects.create(
            url=url, event_id="6f7a1c2e-0000-4000-8000-000000000002", payload={"x": 2}
        )
        first = deliver_webhook.apply(
            args=[delivery.pk], kwargs={"attempt": 1}, headers={"_schema_name": "bu_acme_de"}
        )
        # The same attempt again (a swept message whose original turned up after all).
        again = deliver_webhook.apply(
            args=[delivery.pk], kwargs={"attempt": 1}, headers={"_schema_name": "bu_acme_de"}
        )
        delivery.refresh_from_db()
    assert (first.get(), again.get()) == ("DELIVERED", "skipped")
    assert delivery.attempts == 1
    assert len(server.received) == 1
    assert server.received[0][0]["X-CRM-Attempt"] == "1"


def test_webhook_urls_are_https_to_public_hosts(settings):
    settings.AUTOMATION_WEBHOOKS_ALLOW_LOCAL = False
    assert clean_url("https://hooks.example.com/x", "url") == "https://hooks.example.com/x"
    for bad in (
        "http://hooks.example.com/x",
        "http://127.0.0.1:8000/x",
        "https://localhost/x",
        "https://192.168.1.5/x",
        "https://user:pw@hooks.example.com/x",
        "ftp://hooks.example.com",
        "not a url",
    ):
        with pytest.raises(CrmError) as refused:
            clean_url(bad, "actions[0].url")
        assert refused.value.code == "INVALID_ARGUMENT"
        assert refused.value.field == "actions[0].url"
