"""Quote-to-cash documents in the data-subject flows: the access export lists the quotes,
contracts, orders, invoices, credit notes and payments whose texts mention the person (those
texts only, never amounts); erasure cuts the person out of them but keeps what tax and
commercial law make the organisation keep, and changes no amount, number or count; retention
blanks closed documents' texts once their period is over, once."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count
from django_tenants.utils import schema_context

from crm.platform.accounts.models import User
from crm.regions.privacy import schema_check
from crm.regions.privacy.exports import schema
from crm.regions.privacy.models import ErasureRecord, SubjectExport
from crm.tenants.automation.models import Rule, WebhookDelivery
from crm.tenants.contacts.models import Contact
from crm.tenants.contracts.models import ApprovalEvent, ApprovalTask, Contract
from crm.tenants.ledger.models import CreditNote, IntegrationEvent, Invoice, Order, Payment
from crm.tenants.personaldata.models import Anonymization
from crm.tenants.quotes.models import Quote, QuoteApproval
from crm.tests.fixtures.ids import bu_gid
from crm.tests.privacy.documents import Documents, aged, money_and_counts
from crm.tests.privacy.helpers import CREATE, FULFIL, payload, seed_person
from crm.tests.privacy.helpers import schema as schema_of

EMAIL = "anna.zyxwerda@example.org"
PHONE = "+49 89 1234567"
DE = "acme.de"
RESULT = """
mutation($id: ID!) {
  dataSubjectRequestFulfil(id: $id) {
    errors { field code }
    request { status result { businessUnit recordType count legalHold } }
  }
}
"""


def _documents(handle: str, person: Any) -> Documents:
    with schema_context(schema_of(handle)):
        account_id = Contact.objects.get(pk=person.contact_id).account_id
    return Documents(
        account_id=account_id,
        deal_id=person.deal_id,
        owner=User.objects.get(username="acme.de.sales"),
    )


@pytest.fixture
def q2c(eu):
    """Anna Zyxwerda's documents in acme.de (and some of others that must not be touched); the
    same person with a quote in the Japanese unit (another region)."""
    anna = seed_person(DE, email=EMAIL, phone=PHONE)
    bernd = seed_person(
        DE,
        email="bernd.quaxley@example.org",
        phone="+49 30 7654321",
        first_name="Bernd",
        last_name="Quaxley",
        mobile="+49 171 2220002",
    )
    in_japan = seed_person("acme.jp", email=EMAIL, phone=PHONE)
    docs, others = _documents(DE, anna), _documents(DE, bernd)
    made: dict[str, Any] = {}
    with schema_context(schema_of(DE)):
        made["quote"] = docs.quote(
            note="Angebot für Anna Zyxwerda, Lieferung ab Werk",
            decision_note="Frau Zyxwerda nimmt an",
            status="ACCEPTED",
        )
        made["quote_approval"] = docs.quote_approval(made["quote"], "Rabatt für Zyxwerda ok")
        # Another customer's quotes: one names her by e-mail (found), one a namesake (not).
        made["elsewhere"] = others.quote(note=f"Kopie an {EMAIL}, Lieferung frei Haus")
        made["namesake"] = others.quote(note="Herr Zyxwerda senior ruft zurück")
        made["plain"] = docs.quote(note="Lieferung ab Werk")
        made["signed"] = docs.contract(
            terms="Vertreten durch Anna Zyxwerda, Einkauf",
            signed=True,
            approval_comment="ok, Zyxwerda ist bekannt",
            trail_comment=f"Rückfragen an {PHONE}",
        )
        made["negotiated"] = docs.contract(
            terms=f"Ansprechpartnerin: Anna Zyxwerda, {PHONE}", signed=False
        )
        made["order"] = docs.order(
            customer_reference="z. Hd. Frau Zyxwerda", notes=f"Rückfragen an {EMAIL}"
        )
        made["issued"] = docs.invoice(notes="Zu Händen Anna Zyxwerda", paid=True)
        made["draft"] = docs.invoice(notes="Entwurf für Zyxwerda", issued=False)
        made["credit_note"] = docs.credit_note(made["issued"], reason="Kulanz für Frau Zyxwerda")
        made["payment"] = docs.payment(reference="ZYXWERDA ANNA RE INV-PD 2026")
        made["bernd_order"] = others.order(notes="Bernd Quaxley holt selbst ab")
    with schema_context(schema_of("acme.jp")):
        made["japan"] = _documents("acme.jp", in_japan).quote(note="Anna Zyxwerda (Tokio)")
    made["anna"], made["bernd"] = anna, bernd
    return made


def _request(graphql, officer, kind):
    reply = graphql(CREATE, {"kind": kind, "email": EMAIL}, bu=DE, as_=officer)
    return payload(reply, "dataSubjectRequestCreate")["request"]["id"]


def _texts(section):
    return {
        (d["id"], t["field"]): (t["text"], t["legal_hold"])
        for d in section["documents"]
        for t in d["texts"]
    }


def test_the_access_export_lists_the_documents_that_mention_the_person(q2c, graphql, officer):
    # Finance reads the payment's reference: a personal read, in the person's access log.
    payment_id = bu_gid("Payment", q2c["payment"].pk, DE)
    read = graphql(
        "query($id: ID!) { payment(id: $id) { reference amount { amount } } }",
        {"id": payment_id},
        bu=DE,
        as_="acme.de.finance",
    )
    assert read.errors == []
    request_id = _request(graphql, officer, "ACCESS")
    done = payload(
        graphql(FULFIL, {"id": request_id}, bu=DE, as_=officer), "dataSubjectRequestFulfil"
    )
    result = {(r["businessUnit"], r["recordType"]): r["count"] for r in done["request"]["result"]}
    assert result[(DE, "document")] == 9
    document = SubjectExport.objects.get().document
    assert document["version"] == 2
    assert schema_check.errors(document, schema()) == []
    (german,) = document["business_units"]
    found = {(d["type"], d["id"]) for d in german["documents"]}
    assert found == {
        ("quote", bu_gid("Quote", q2c["quote"].pk, DE)),
        ("quote", bu_gid("Quote", q2c["elsewhere"].pk, DE)),
        ("contract", bu_gid("Contract", q2c["signed"].pk, DE)),
        ("contract", bu_gid("Contract", q2c["negotiated"].pk, DE)),
        ("order", bu_gid("Order", q2c["order"].pk, DE)),
        ("invoice", bu_gid("Invoice", q2c["issued"].pk, DE)),
        ("invoice", bu_gid("Invoice", q2c["draft"].pk, DE)),
        ("credit_note", bu_gid("CreditNote", q2c["credit_note"].pk, DE)),
        ("payment", payment_id),
    }
    texts = _texts(german)
    gid = {
        name: bu_gid(kind, q2c[name].pk, DE)
        for name, kind in (
            ("quote", "Quote"),
            ("elsewhere", "Quote"),
            ("signed", "Contract"),
            ("negotiated", "Contract"),
            ("order", "Order"),
            ("issued", "Invoice"),
            ("draft", "Invoice"),
            ("credit_note", "CreditNote"),
            ("payment", "Payment"),
        )
    }
    assert texts == {
        (gid["quote"], "quote.note"): ("Angebot für Anna Zyxwerda, Lieferung ab Werk", None),
        (gid["quote"], "quote.decision_note"): ("Frau Zyxwerda nimmt an", None),
        (gid["quote"], "approval.comment"): ("Rabatt für Zyxwerda ok", None),
        (gid["elsewhere"], "quote.note"): (f"Kopie an {EMAIL}, Lieferung frei Haus", None),
        (gid["signed"], "contract.terms"): (
            "Vertreten durch Anna Zyxwerda, Einkauf",
            "SIGNED_CONTRACT",
        ),
        (gid["signed"], "approval.comment"): ("ok, Zyxwerda ist bekannt", None),
        (gid["signed"], "trail.comment"): (f"Rückfragen an {PHONE}", None),
        (gid["negotiated"], "contract.terms"): (f"Ansprechpartnerin: Anna Zyxwerda, {PHONE}", None),
        (gid["order"], "order.customer_reference"): ("z. Hd. Frau Zyxwerda", None),
        (gid["order"], "order.notes"): (f"Rückfragen an {EMAIL}", None),
        (gid["issued"], "invoice.notes"): ("Zu Händen Anna Zyxwerda", "TAX_RECORD"),
        (gid["draft"], "invoice.notes"): ("Entwurf für Zyxwerda", None),
        (gid["credit_note"], "credit_note.reason"): ("Kulanz für Frau Zyxwerda", "TAX_RECORD"),
        (gid["payment"], "payment.reference"): (
            "ZYXWERDA ANNA RE INV-PD 2026",
            "ACCOUNTING_RECORD",
        ),
    }
    quote = next(d for d in german["documents"] if d["id"] == gid["quote"])
    assert (quote["number"], quote["date"]) == (f"{q2c['quote'].number} v1", "2026-03-02")
    draft = next(d for d in german["documents"] if d["id"] == gid["draft"])
    assert (draft["number"], draft["date"]) == (None, None)
    # Only the texts that name her: no amounts, no other customer's plain texts or namesakes.
    flat = json.dumps(german, ensure_ascii=False)
    for absent in ("1190", "781.25", "senior", "Quaxley", "Tokio"):
        assert absent not in flat, absent
    assert "Lieferung ab Werk" in flat  # (inside the text that names her)
    # The read of the payment's reference is in her access log.
    reads = [e for e in german["access_log"] if e["about"]["type"] == "payment"]
    assert [(e["event"], e["about"]["id"], e["fields"]) for e in reads] == [
        ("PERSONAL_READ", payment_id, ["reference"])
    ]


def test_erasure_cuts_her_out_keeps_legal_records_and_every_amount(
    q2c, graphql, officer, django_capture_on_commit_callbacks
):
    with schema_context(schema_of(DE)):
        Rule.objects.create(
            code="to-erp",
            name="ERP",
            record_type="contact",
            trigger="CREATED",
            actions=[{"type": "WEBHOOK", "url": "https://erp.example.com/hooks/crm"}],
            active=True,
        )
        before = money_and_counts()
    with schema_context(schema_of("acme.jp")):
        japan_before = money_and_counts()
    request_id = _request(graphql, officer, "ERASURE")
    with django_capture_on_commit_callbacks():
        done = payload(
            graphql(RESULT, {"id": request_id}, bu=DE, as_=officer), "dataSubjectRequestFulfil"
        )
    assert done["errors"] == []
    result = {
        (r["recordType"], r["legalHold"]): r["count"]
        for r in done["request"]["result"]
        if r["businessUnit"] == DE
    }
    assert result[("quote", None)] == 2
    assert result[("contract", None)] == 2  # the signed one's approval and trail comments
    assert result[("order", None)] == 1
    assert result[("invoice", None)] == 1  # the draft
    assert result[("invoice", "TAX_RECORD")] == 1
    assert result[("credit_note", "TAX_RECORD")] == 1
    assert result[("payment", "ACCOUNTING_RECORD")] == 1
    assert result[("contract", "SIGNED_CONTRACT")] == 1
    assert ("payment", None) not in result

    with schema_context(schema_of(DE)):
        # Money, numbers and counts: exactly as before.
        assert money_and_counts() == before
        assert before["invoices"]["total"] == Decimal("200.00")  # a paid one and a draft
        assert before["payments"]["amount"] == Decimal("50.00")
        quote = Quote.objects.get(pk=q2c["quote"].pk)
        assert quote.note == "Angebot für [erased], Lieferung ab Werk"
        assert quote.decision_note == "Frau [erased] nimmt an"
        assert QuoteApproval.objects.get(pk=q2c["quote_approval"].pk).comment == (
            "Rabatt für [erased] ok"
        )
        assert Quote.objects.get(pk=q2c["elsewhere"].pk).note == (
            "Kopie an [erased], Lieferung frei Haus"
        )
        assert Quote.objects.get(pk=q2c["namesake"].pk).note == "Herr Zyxwerda senior ruft zurück"
        signed = Contract.objects.get(pk=q2c["signed"].pk)
        assert signed.terms == "Vertreten durch Anna Zyxwerda, Einkauf"  # a commercial record
        assert ApprovalTask.objects.get(contract=signed).comment == "ok, [erased] ist bekannt"
        assert ApprovalEvent.objects.get(contract=signed).comment == "Rückfragen an [erased]"
        assert Contract.objects.get(pk=q2c["negotiated"].pk).terms == (
            "Ansprechpartnerin: [erased], [erased]"
        )
        order = Order.objects.get(pk=q2c["order"].pk)
        assert (order.customer_reference, order.notes) == (
            "z. Hd. Frau [erased]",
            "Rückfragen an [erased]",
        )
        assert Invoice.objects.get(pk=q2c["draft"].pk).notes == "Entwurf für [erased]"
        # Kept for tax and accounting law, unchanged.
        assert Invoice.objects.get(pk=q2c["issued"].pk).notes == "Zu Händen Anna Zyxwerda"
        assert CreditNote.objects.get(pk=q2c["credit_note"].pk).reason == (
            "Kulanz für Frau Zyxwerda"
        )
        assert Payment.objects.get(pk=q2c["payment"].pk).reference == (
            "ZYXWERDA ANNA RE INV-PD 2026"
        )
        assert Order.objects.get(pk=q2c["bernd_order"].pk).notes == "Bernd Quaxley holt selbst ab"
        # Documents are not anonymized whole: a later retention still applies to them.
        assert not Anonymization.objects.filter(record_type__in=["quote", "order"]).exists()
        (notice,) = WebhookDelivery.objects.filter(payload__event="PERSONAL_DATA_ERASED")
        told = {(r["record_type"], r["record_id"]) for r in notice.payload["records"]}
        assert ("order", bu_gid("Order", q2c["order"].pk, DE)) in told
        assert ("invoice", bu_gid("Invoice", q2c["draft"].pk, DE)) in told
        assert ("invoice", bu_gid("Invoice", q2c["issued"].pk, DE)) not in told  # unchanged
    (record,) = ErasureRecord.objects.filter(business_unit__code="de")
    assert record.document_ids["order"] == [q2c["order"].pk]
    assert sorted(record.document_ids["quote"]) == sorted([q2c["quote"].pk, q2c["elsewhere"].pk])
    assert {(h["record_type"], h["legal_hold"]) for h in record.held} == {
        ("invoice", "TAX_RECORD"),
        ("credit_note", "TAX_RECORD"),
        ("payment", "ACCOUNTING_RECORD"),
        ("contract", "SIGNED_CONTRACT"),
    }
    # Another region's unit: not touched.
    with schema_context(schema_of("acme.jp")):
        assert money_and_counts() == japan_before
        assert Quote.objects.get(pk=q2c["japan"].pk).note == "Anna Zyxwerda (Tokio)"


def test_an_erasure_repeated_changes_nothing_more(q2c, graphql, officer):
    payload(
        graphql(FULFIL, {"id": _request(graphql, officer, "ERASURE")}, bu=DE, as_=officer),
        "dataSubjectRequestFulfil",
    )
    with schema_context(schema_of(DE)):
        after = {
            "quote": Quote.objects.get(pk=q2c["elsewhere"].pk).note,
            "invoice": Invoice.objects.get(pk=q2c["issued"].pk).notes,
        }
    again = payload(
        graphql(FULFIL, {"id": _request(graphql, officer, "ERASURE")}, bu=DE, as_=officer),
        "dataSubjectRequestFulfil",
    )
    # The person is gone: a new request finds neither her records nor the held texts by e-mail.
    assert [r for r in again["request"]["result"] if r["businessUnit"] == DE] == []
    with schema_context(schema_of(DE)):
        assert Quote.objects.get(pk=q2c["elsewhere"].pk).note == after["quote"]
        assert Invoice.objects.get(pk=q2c["issued"].pk).notes == after["invoice"]


# -- retention ----------------------------------------------------------------------------------

SET = """
mutation($type: RetentionRecordType!, $months: Int!) {
  retentionPolicySet(recordType: $type, months: $months) { errors { field code } }
}
"""
RUN = """
mutation($dry: Boolean) {
  retentionRunStart(dryRun: $dry) {
    errors { field code }
    run { report { businessUnit recordType documents contacts } }
  }
}
"""
DOCUMENT_TYPES = ("QUOTE", "CONTRACT", "ORDER", "INVOICE", "PAYMENT")


@pytest.fixture
def old_and_new(eu):
    """Closed documents two years old and recent or still open ones, of one account."""
    anna = seed_person(DE, email=EMAIL, phone=PHONE)
    docs = _documents(DE, anna)
    made: dict[str, Any] = {}
    with schema_context(schema_of(DE)):
        made["old_quote"] = docs.quote(note="Für Anna", status="REJECTED")
        docs.quote_approval(made["old_quote"], "bitte Anna fragen")
        made["new_quote"] = docs.quote(note="Für Anna", status="REJECTED")
        made["open_quote"] = docs.quote(note="Für Anna", status="SENT")  # its deal is open
        made["old_contract"] = docs.contract(
            terms="Anna unterschreibt", signed=True, approval_comment="ok Anna"
        )
        made["negotiated"] = docs.contract(terms="Anna verhandelt", signed=False)
        made["old_order"] = docs.order(notes="Anna holt ab")
        made["undelivered"] = docs.order(notes="Anna wartet", status="OPEN", invoiced_amount=0)
        made["old_invoice"] = docs.invoice(notes="z. Hd. Anna", paid=True)
        made["credit_note"] = docs.credit_note(made["old_invoice"], reason="Kulanz Anna")
        made["open_invoice"] = docs.invoice(notes="z. Hd. Anna")
        made["old_payment"] = docs.payment(reference="ANNA Z RE 1")
        made["credit"] = docs.payment(reference="ANNA Z ANZAHLUNG", allocated=False)
        for name in ("old_quote", "open_quote", "old_contract", "negotiated", "undelivered"):
            aged(type(made[name]), made[name].pk, 730)
        aged(Order, made["old_order"].pk, 730)
        aged(Invoice, made["old_invoice"].pk, 730, "closed_on")
        aged(Invoice, made["open_invoice"].pk, 730, "issue_date")
        aged(Payment, made["old_payment"].pk, 730, "allocated_in_full_on")
        aged(Payment, made["credit"].pk, 730, "received_on")
    return made


def test_retention_blanks_closed_documents_once_and_keeps_their_amounts(
    old_and_new, graphql, officer
):
    for record_type in DOCUMENT_TYPES:
        reply = graphql(SET, {"type": record_type, "months": 12}, bu=DE, as_=officer)
        assert payload(reply, "retentionPolicySet")["errors"] == []
    with schema_context(schema_of(DE)):
        before = money_and_counts()
    dry = payload(graphql(RUN, {"dry": True}, bu=DE, as_=officer), "retentionRunStart")
    planned = {
        e["recordType"]: e["documents"] for e in dry["run"]["report"] if e["businessUnit"] == DE
    }
    # Quote: the rejected one (the open deal's sent quote is still live); contract: the signed
    # one; order: the delivered and invoiced one; invoice: the paid one and its credit note;
    # payment: the one allocated in full (the other is still the customer's credit).
    assert planned == {"QUOTE": 1, "CONTRACT": 1, "ORDER": 1, "INVOICE": 2, "PAYMENT": 1}
    with schema_context(schema_of(DE)):
        assert Quote.objects.get(pk=old_and_new["old_quote"].pk).note == "Für Anna"  # dry run

    run = payload(graphql(RUN, {"dry": False}, bu=DE, as_=officer), "retentionRunStart")
    assert {
        e["recordType"]: e["documents"] for e in run["run"]["report"] if e["businessUnit"] == DE
    } == planned
    with schema_context(schema_of(DE)):
        assert money_and_counts() == before
        old_quote = Quote.objects.get(pk=old_and_new["old_quote"].pk)
        assert (old_quote.note, old_quote.approvals.get().comment) == ("", "")
        assert Quote.objects.get(pk=old_and_new["new_quote"].pk).note == "Für Anna"
        assert Quote.objects.get(pk=old_and_new["open_quote"].pk).note == "Für Anna"
        contract = Contract.objects.get(pk=old_and_new["old_contract"].pk)
        assert contract.terms == ""
        assert ApprovalTask.objects.get(contract=contract).comment == ""
        assert Contract.objects.get(pk=old_and_new["negotiated"].pk).terms == "Anna verhandelt"
        assert Order.objects.get(pk=old_and_new["old_order"].pk).notes == ""
        assert Order.objects.get(pk=old_and_new["undelivered"].pk).notes == "Anna wartet"
        assert Invoice.objects.get(pk=old_and_new["old_invoice"].pk).notes == ""
        assert CreditNote.objects.get(pk=old_and_new["credit_note"].pk).reason == ""
        assert Invoice.objects.get(pk=old_and_new["open_invoice"].pk).notes == "z. Hd. Anna"
        assert Payment.objects.get(pk=old_and_new["old_payment"].pk).reference == ""
        assert Payment.objects.get(pk=old_and_new["credit"].pk).reference == "ANNA Z ANZAHLUNG"
        # The copy the ledger sent to the ERP goes too (event and delivery).
        event = IntegrationEvent.objects.get(record_id=old_and_new["old_payment"].pk)
        assert event.payload["data"] == {
            "number": old_and_new["old_payment"].number,
            "reference": "",
        }
        assert WebhookDelivery.objects.get(payload__event_id=str(event.event_id)).payload == (
            event.payload
        )
        done = dict(Anonymization.objects.values_list("record_type").annotate(n=Count("pk")))
        assert done == {
            "quote": 1,
            "contract": 1,
            "order": 1,
            "invoice": 1,
            "credit_note": 1,
            "payment": 1,
        }

    again = payload(graphql(RUN, {"dry": False}, bu=DE, as_=officer), "retentionRunStart")
    assert {e["documents"] for e in again["run"]["report"]} == {0}
    with schema_context(schema_of(DE)):
        assert Anonymization.objects.count() == 6


def test_document_retention_is_refused_to_whom_may_not_set_it(eu, graphql):
    reply = graphql(SET, {"type": "INVOICE", "months": 120}, bu=DE, as_="acme.de.finance")
    assert [e["code"] for e in payload(reply, "retentionPolicySet")["errors"]] == [
        "PERMISSION_DENIED"
    ]
    from crm.regions.privacy.models import RetentionPolicy

    assert not RetentionPolicy.objects.exists()
