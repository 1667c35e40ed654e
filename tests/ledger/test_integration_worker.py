"""Integration events end to end: a payment recorded in HQ's BU (committed), a real Celery worker
sending its event to a real HTTP receiver (the ERP), which fails first and then accepts.

Proves, with nothing in-process: the signature checks with the BU's secret; every retry carries
the same event id, delivery id and idempotency key; attempts back off; after the last attempt the
delivery is FAILED (kept, listed) and `integrationEventRedeliver` sends it again; a delivery
whose message was lost (the worker was down at commit) is picked up by the sweep on beat.

The test settings retry on a short schedule (4 attempts, back-off from 0.4 s), see tests/settings.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.tenants.automation.models import DeliveryStatus, WebhookDelivery
from crm.tenants.automation.tasks import sweep_webhooks_task, webhook_secret

# (The mark has the test database set up; what the worker must see is committed on connections
# of other threads, `_in_thread`, never in the test's own transaction.)
pytestmark = pytest.mark.django_db

HQ = "bu_acme_hq"
FINANCE = "acme.hq.finance.worker"


def _in_thread(work: Callable[[], Any]) -> Any:
    """Run `work` on its own connection (committed at once, seen by the worker)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@dataclass
class Erp:
    """What the receiver answers next (then 200), and what it received, when."""

    url: str
    answers: list[int] = field(default_factory=list)
    received: list[tuple[float, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def erp() -> Iterator[Erp]:
    state = Erp(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((time.monotonic(), dict(self.headers), body))
            self.send_response(state.answers.pop(0) if state.answers else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/erp"
    yield state
    server.shutdown()


@pytest.fixture
def hq_books(
    django_db_setup: Any, django_db_blocker: Any, settings: Any, erp: Erp
) -> Iterator[dict[str, Any]]:
    """Committed in acme.hq: an ERP endpoint for payments, a finance user, a customer's
    account; everything made here and by the test is removed afterwards."""
    settings.AUTOMATION_WEBHOOKS_ALLOW_LOCAL = True
    with django_db_blocker.unblock():

        def create() -> dict[str, Any]:
            from crm.platform.accounts.models import Membership, Role, User
            from crm.tenants.ledger import integration
            from crm.tenants.localcustomers.models import LocalCustomer
            from crm.tests.relationships.helpers import access_as, business_unit, golden

            unit = business_unit("acme.hq")
            user = User.objects.create_user(username=FINANCE, password="pw", group=unit.group)
            Membership.objects.create(
                group=unit.group,
                user=user,
                role=Role.objects.get(group=unit.group, code="finance"),
                business_unit=unit,
            )
            customer = golden(unit.group_id, f"WRK-{uuid.uuid4().hex[:8]}", "Worker Trading Co")
            with schema_context(HQ):
                account = LocalCustomer.objects.create(
                    customer_id=customer.pk, local_code="K-WORKER", local_name="Worker Trading"
                )
                integration.endpoint_set(
                    access_as("acme.director", "acme.hq"),
                    code="erp",
                    url=erp.url,
                    kinds=["payment.received"],
                )
            return {"account": account.pk, "customer": customer.pk, "user": user.pk}

        made = _in_thread(create)
        yield made

        def clean() -> None:
            from crm.masterdata.customers.models import Customer
            from crm.platform.accounts.models import User
            from crm.tenants.ledger.models import (
                IntegrationDelivery,
                IntegrationEndpoint,
                IntegrationEvent,
                Payment,
            )
            from crm.tenants.localcustomers.models import LocalCustomer

            with schema_context(HQ):
                webhooks = list(IntegrationDelivery.objects.values_list("webhook_id", flat=True))
                IntegrationDelivery.objects.all().delete()
                IntegrationEvent.objects.all().delete()
                WebhookDelivery.objects.filter(pk__in=webhooks).delete()
                WebhookDelivery.objects.filter(payload__test="sweep").delete()
                IntegrationEndpoint.objects.all().delete()
                Payment.objects.filter(payer_id=made["account"]).delete()
                LocalCustomer.objects.filter(pk=made["account"]).delete()
                # (In the BU's schema: deleting a user looks for its rows in the BU's tables.)
                User.objects.filter(pk=made["user"]).delete()
            Customer.objects.filter(pk=made["customer"]).delete()

        _in_thread(clean)


def record_payment(account: int, amount: str) -> dict[str, Any]:
    """A payment recorded by HQ's finance, committed: its event goes to the worker."""

    def record() -> dict[str, Any]:
        from crm.tenants.ledger import payments
        from crm.tenants.ledger.models import IntegrationDelivery
        from crm.tests.relationships.helpers import access_as

        with schema_context(HQ):
            payment = payments.payment_record(
                access_as(FINANCE, "acme.hq"), payer=account, amount=amount, reference="TT 1"
            )
            link = IntegrationDelivery.objects.select_related("event").get(
                event__record_id=payment.pk, event__kind="payment.received"
            )
            return {
                "payment": payment.number,
                "event": link.event.pk,
                "event_id": str(link.event.event_id),
                "key": link.event.idempotency_key,
                "webhook": link.webhook_id,
            }

    made: dict[str, Any] = _in_thread(record)
    return made


def delivery(pk: int) -> WebhookDelivery:
    def read() -> WebhookDelivery:
        with schema_context(HQ):
            return WebhookDelivery.objects.get(pk=pk)

    found: WebhookDelivery = _in_thread(read)
    return found


def wait_for(pk: int, status: str, timeout: float = 60) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while True:
        found = delivery(pk)
        if found.status == status:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"delivery {pk} is {found.status} after {found.attempts} attempts")
        time.sleep(0.2)


def signed(headers: dict[str, str], body: bytes) -> bool:
    def secret() -> str:
        from crm.tests.relationships.helpers import business_unit

        return webhook_secret(business_unit("acme.hq"))

    expected = "sha256=" + hmac.new(_in_thread(secret).encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-CRM-Signature"], expected)


def test_a_receiver_failing_first_gets_the_same_event_again_after_a_back_off(
    hq_books, erp, celery_worker_process
):
    erp.answers = [503, 500]  # then 200
    sent = record_payment(hq_books["account"], "1250.00")
    done = wait_for(sent["webhook"], DeliveryStatus.DELIVERED)
    assert done.attempts == 3
    assert done.response_status == 200
    assert done.last_error == ""
    assert done.next_attempt_at is None
    assert len(erp.received) == 3
    bodies = {body for _at, _headers, body in erp.received}
    assert len(bodies) == 1  # every attempt is the same event, byte for byte
    body = json.loads(next(iter(bodies)))
    assert body["event_id"] == sent["event_id"]
    assert body["idempotency_key"] == sent["key"] == f"acme.hq:payment.received:{sent['payment']}"
    assert body["kind"] == "payment.received"
    assert body["data"]["amount"] == "1250.00"
    for attempt, (_at, headers, raw) in enumerate(erp.received, start=1):
        assert signed(headers, raw), attempt
        assert headers["X-CRM-Event-Id"] == str(done.event_id)
        assert headers["Idempotency-Key"] == sent["key"]
        assert headers["X-CRM-Attempt"] == str(attempt)
    # Back-off: after failed attempt n the wait is at least half of 0.4 s × 2^(n-1).
    times = [at for at, _headers, _body in erp.received]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    base = django_settings.AUTOMATION_WEBHOOK_BACKOFF
    for attempt, gap in enumerate(gaps, start=1):
        assert gap >= base * 2 ** (attempt - 1) / 2 - 0.05, (attempt, gaps)
    # A tampered body does not check with the secret.
    _at, headers, raw = erp.received[0]
    assert not signed(headers, raw.replace(b"1250.00", b"9250.00"))


def test_the_last_failure_is_recorded_and_the_event_can_be_sent_again(
    hq_books, erp, celery_worker_process, graphql
):
    attempts = django_settings.AUTOMATION_WEBHOOK_ATTEMPTS
    erp.answers = [500] * attempts
    sent = record_payment(hq_books["account"], "80.00")
    failed = wait_for(sent["webhook"], DeliveryStatus.FAILED)
    assert failed.attempts == attempts
    assert failed.last_error == "HTTP 500"
    assert len(erp.received) == attempts
    time.sleep(1)  # nothing more is tried once it failed for good
    assert len(erp.received) == attempts
    # The failure is listed for the BU's managers (never lost silently) ...
    listed = """{ integrationEvents(first: 5, filter: {deliveryStatus: FAILED}) {
      edges { node { id idempotencyKey deliveries { status attempts lastError } } } } }"""
    reply = _in_thread(lambda: graphql(listed, bu="acme.hq", as_="acme.director"))
    assert reply.errors == [], reply.errors
    (edge,) = reply.data["integrationEvents"]["edges"]
    assert edge["node"]["idempotencyKey"] == sent["key"]
    assert edge["node"]["deliveries"] == [
        {"status": "FAILED", "attempts": attempts, "lastError": "HTTP 500"}
    ]
    # ... who send it again once the ERP is back (committed: the worker delivers it at once).
    redeliver = """mutation($event: ID!) { integrationEventRedeliver(event: $event) {
                     errors { code } event { deliveryStatus } } }"""
    again = _in_thread(
        lambda: graphql(redeliver, {"event": edge["node"]["id"]}, bu="acme.hq", as_="acme.director")
    )
    assert again.data["integrationEventRedeliver"]["errors"] == []
    assert again.data["integrationEventRedeliver"]["event"]["deliveryStatus"] == "PENDING"
    done = wait_for(sent["webhook"], DeliveryStatus.DELIVERED)
    assert done.attempts == 1
    assert len(erp.received) == attempts + 1
    assert len({body for _at, _headers, body in erp.received}) == 1  # the same event
    assert {headers["X-CRM-Event-Id"] for _at, headers, _body in erp.received} == {
        str(done.event_id)
    }


def test_a_delivery_whose_message_was_lost_is_swept_up(hq_books, erp, celery_worker_process):
    # The outbox row of a delivery made while the worker was down: committed, never queued.
    def lost() -> int:
        with schema_context(HQ):
            long_ago = timezone.now() - datetime.timedelta(minutes=30)
            return WebhookDelivery.objects.create(
                url=erp.url,
                event_id=uuid.uuid4(),
                payload={"test": "sweep"},
                created_at=long_ago,
                next_attempt_at=long_ago,
            ).pk

    pk = _in_thread(lost)
    time.sleep(0.5)
    assert delivery(pk).status == DeliveryStatus.PENDING
    assert erp.received == []
    swept = sweep_webhooks_task.delay().get(timeout=60)
    assert swept.get("acme.hq") == {"requeued": 1}
    assert "acme.de" not in swept  # homed in another cell: swept there
    done = wait_for(pk, DeliveryStatus.DELIVERED)
    assert done.attempts == 1
    assert [json.loads(body) for _at, _headers, body in erp.received] == [{"test": "sweep"}]
    # Nothing is stuck any more: the next sweep queues nothing.
    assert "acme.hq" not in sweep_webhooks_task.delay().get(timeout=60)
