"""Consent per purpose, with its source, time and full history; read on contacts and leads;
given with a captured lead and carried over on conversion; respected by automation webhooks
and by the marketing audience export."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.core.errors import CrmError
from crm.tenants.automation.models import Firing, Rule, WebhookDelivery
from crm.tenants.contacts.models import Contact
from crm.tenants.leads.models import Lead
from crm.tenants.personaldata.consents import ConsentSubject, record_consent
from crm.tenants.personaldata.models import ConsentEvent, ConsentState
from crm.tests.automation import helpers as automation
from crm.tests.fixtures.ids import bu_gid
from crm.tests.leads.helpers import access_of, as_key, lead_source
from crm.tests.privacy.helpers import payload

DE = "bu_acme_de"
RECORD = """
mutation($subject: ID!, $purpose: ConsentPurpose!, $granted: Boolean!, $source: ConsentSource,
         $at: DateTime, $evidence: String) {
  consentRecord(subject: $subject, purpose: $purpose, granted: $granted, source: $source,
                at: $at, evidence: $evidence) {
    errors { field code }
    consent { purpose granted source at actor evidence }
  }
}
"""
CONTACT = """
query($id: ID!) {
  contact(id: $id) { consentEmail consentPhone consents { purpose granted at source } }
}
"""
HISTORY = """
query($subject: ID!, $purpose: ConsentPurpose) {
  consentHistory(subject: $subject, purpose: $purpose) { purpose granted source at actor evidence }
}
"""
CAPTURE = """
mutation($lead: LeadInput!, $channel: String, $consents: [ConsentInput!], $key: String) {
  leadCapture(lead: $lead, channel: $channel, consents: $consents, idempotencyKey: $key) {
    errors { field code }
    lead { id consents { purpose granted source at } }
  }
}
"""
LEADS = "{ leads(first: 20) { edges { node { id consents { purpose granted } } } } }"
AUDIENCE = """
query($type: ConsentSubjectType!) { marketingAudienceExport(recordType: $type) { csv rows } }
"""


def _contact(**fields: Any) -> Contact:
    with schema_context(DE):
        account = automation.account()
        return Contact.objects.create(
            account=account, last_name=fields.pop("last_name", "Adler"), **fields
        )


def _lead(**fields: Any) -> Lead:
    with schema_context(DE):
        return automation.lead(**fields)


def _history(contact: Contact) -> list[tuple[str, bool, str]]:
    with schema_context(DE):
        return list(
            ConsentEvent.objects.filter(contact=contact)
            .order_by("at", "pk")
            .values_list("purpose", "granted", "source")
        )


def test_consent_is_recorded_withdrawn_and_read_with_its_history(eu, graphql):
    contact = _contact(email="adler@example.org")
    subject = bu_gid("Contact", contact.pk)
    given = payload(
        graphql(
            RECORD,
            {
                "subject": subject,
                "purpose": "MARKETING_EMAIL",
                "granted": True,
                "source": "WEB_FORM",
                "evidence": "newsletter form v3",
            },
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "consentRecord",
    )
    assert given["errors"] == []
    assert given["consent"]["source"] == "WEB_FORM"
    assert given["consent"]["actor"] == "acme.de.sales"
    payload(
        graphql(
            RECORD,
            {"subject": subject, "purpose": "PHONE", "granted": True},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "consentRecord",
    )
    withdrawn = payload(
        graphql(
            RECORD,
            {"subject": subject, "purpose": "MARKETING_EMAIL", "granted": False},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "consentRecord",
    )
    assert withdrawn["consent"]["source"] == "SALES_REP"  # a person signed in: a sales rep

    read = payload(
        graphql(CONTACT, {"id": subject}, bu="acme.de", as_="acme.de.manager"), "contact"
    )
    assert {(c["purpose"], c["granted"], c["source"]) for c in read["consents"]} == {
        ("MARKETING_EMAIL", False, "SALES_REP"),
        ("PHONE", True, "SALES_REP"),
    }
    # The contact's flags follow the purposes.
    assert (read["consentEmail"], read["consentPhone"]) == (False, True)

    history = graphql(
        HISTORY,
        {"subject": subject, "purpose": "MARKETING_EMAIL"},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert history.errors == []
    assert [(e["granted"], e["source"], e["evidence"]) for e in history.data["consentHistory"]] == [
        (True, "WEB_FORM", "newsletter form v3"),
        (False, "SALES_REP", ""),
    ]


def test_an_older_consent_recorded_later_does_not_undo_a_newer_withdrawal(eu, graphql):
    contact = _contact()
    subject = bu_gid("Contact", contact.pk)
    payload(
        graphql(
            RECORD,
            {"subject": subject, "purpose": "MARKETING_EMAIL", "granted": False},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "consentRecord",
    )
    last_year = (timezone.now() - datetime.timedelta(days=365)).isoformat()
    imported = payload(
        graphql(
            RECORD,
            {
                "subject": subject,
                "purpose": "MARKETING_EMAIL",
                "granted": True,
                "source": "IMPORT",
                "at": last_year,
                "evidence": "trade fair list 2025",
            },
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "consentRecord",
    )
    assert imported["errors"] == []
    assert _history(contact) == [
        ("MARKETING_EMAIL", True, "IMPORT"),
        ("MARKETING_EMAIL", False, "SALES_REP"),
    ]
    with schema_context(DE):
        state = ConsentState.objects.get(contact=contact)
        assert state.granted is False
        assert Contact.objects.get(pk=contact.pk).consent_email is False


def test_consent_flags_on_the_contact_itself_are_kept_in_the_history(eu, graphql):
    created = payload(
        graphql(
            """mutation {
              contactCreate(lastName: "Flag", email: "flag@example.org", consentEmail: true) {
                errors { field code } contact { id consents { purpose granted source } } } }""",
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "contactCreate",
    )
    assert created["errors"] == []
    assert created["contact"]["consents"] == [
        {"purpose": "MARKETING_EMAIL", "granted": True, "source": "SALES_REP"}
    ]
    updated = payload(
        graphql(
            """mutation($id: ID!) {
              contactUpdate(id: $id, consentEmail: false, consentPhone: true) {
                errors { field code } contact { consents { purpose granted } } } }""",
            {"id": created["contact"]["id"]},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "contactUpdate",
    )
    assert updated["errors"] == []
    assert {(c["purpose"], c["granted"]) for c in updated["contact"]["consents"]} == {
        ("MARKETING_EMAIL", False),
        ("PHONE", True),
    }
    with schema_context(DE):
        contact = Contact.objects.get(last_name="Flag")
    assert _history(contact) == [
        ("MARKETING_EMAIL", True, "SALES_REP"),
        ("MARKETING_EMAIL", False, "SALES_REP"),
        ("PHONE", True, "SALES_REP"),
    ]


def test_a_captured_lead_brings_its_consents_from_the_form(eu, graphql):
    lead_source("WEBSITE")
    token = as_key(graphql)
    at = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()
    captured = payload(
        graphql(
            CAPTURE,
            {
                "lead": {
                    "lastName": "Form",
                    "email": "form@example.org",
                    "companyName": "Form AG",
                    "country": "DE",
                    "source": "WEBSITE",
                },
                "channel": "form",
                "consents": [
                    {
                        "purpose": "MARKETING_EMAIL",
                        "granted": True,
                        "at": at,
                        "evidence": "form v3 box 1",
                    },
                    {"purpose": "PROFILING", "granted": False, "at": at},
                ],
            },
            bu="acme.de",
            token=token,
        ),
        "leadCapture",
    )
    assert captured["errors"] == []
    assert {(c["purpose"], c["granted"], c["source"]) for c in captured["lead"]["consents"]} == {
        ("MARKETING_EMAIL", True, "WEB_FORM"),
        ("PROFILING", False, "WEB_FORM"),
    }
    listed = graphql(LEADS, bu="acme.de", as_="acme.de.manager")
    assert listed.errors == []
    (node,) = [
        e["node"]
        for e in listed.data["leads"]["edges"]
        if e["node"]["id"] == captured["lead"]["id"]
    ]
    assert {(c["purpose"], c["granted"]) for c in node["consents"]} == {
        ("MARKETING_EMAIL", True),
        ("PROFILING", False),
    }


@pytest.mark.parametrize(
    ("consents", "field"),
    [
        (
            [{"purpose": "PHONE", "granted": True}, {"purpose": "PHONE", "granted": False}],
            "consents",
        ),
        ([{"purpose": "PHONE", "granted": True, "evidence": "x" * 501}], "consents[0].evidence"),
        (
            [{"purpose": "PHONE", "granted": True, "at": "2999-01-01T00:00:00+00:00"}],
            "consents[0].at",
        ),
        ([{"purpose": "PHONE", "granted": True, "source": "ERASURE"}], "consents[0].source"),
    ],
)
def test_bad_consents_at_capture_refuse_the_lead(eu, graphql, consents, field):
    with schema_context(DE):
        count = Lead.objects.count()
    refused = payload(
        graphql(
            CAPTURE,
            {
                "lead": {
                    "lastName": "Bad",
                    "email": "bad@example.org",
                    "companyName": "Bad AG",
                    "country": "DE",
                },
                "consents": consents,
            },
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "leadCapture",
    )
    assert refused["errors"] == [{"field": field, "code": "INVALID_ARGUMENT"}]
    with schema_context(DE):
        assert Lead.objects.count() == count
        assert not ConsentEvent.objects.exists()


def test_a_converted_lead_hands_its_consents_to_the_contact(eu, graphql):
    from crm.tests.leads.test_convert import CONVERT, golden, qualified

    lead_source("WEBSITE")
    lead = qualified()
    with schema_context(DE):
        record_consent(
            access_of("acme.de.sales"),
            subject=ConsentSubject.lead(lead.pk),
            purpose="MARKETING_EMAIL",
            granted=True,
            source="WEB_FORM",
            evidence="whitepaper download",
        )
    customer = golden(eu)
    converted = payload(
        graphql(
            CONVERT,
            {"id": bu_gid("Lead", lead.pk), "customer": to_global_id("Customer", customer.pk)},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadConvert",
    )
    assert converted["errors"] == []
    with schema_context(DE):
        contact = Contact.objects.get(lead_id=lead.pk)
        event = ConsentEvent.objects.get(contact=contact)
        assert (event.purpose, event.granted, event.source) == (
            "MARKETING_EMAIL",
            True,
            "LEAD_CONVERSION",
        )
        assert event.evidence == f"lead {lead.pk}: whitepaper download"
        assert contact.consent_email is True


def test_bad_consent_input_is_refused_and_nothing_is_recorded(eu, graphql):
    contact = _contact()
    subject = bu_gid("Contact", contact.pk)
    cases = [
        ({"subject": "not-an-id"}, "MALFORMED_ID", "subject"),
        ({"subject": bu_gid("Account", contact.account_id)}, "MALFORMED_ID", "subject"),
        ({"subject": bu_gid("Contact", 999999)}, "NOT_FOUND", "subject"),
        ({"at": "2999-01-01T00:00:00+00:00"}, "INVALID_ARGUMENT", "at"),
        ({"at": "2026-01-01T10:00:00"}, "INVALID_ARGUMENT", "at"),
        ({"evidence": "x" * 501}, "INVALID_ARGUMENT", "evidence"),
        ({"source": "ERASURE"}, "INVALID_ARGUMENT", "source"),
        ({"source": "LEAD_CONVERSION"}, "INVALID_ARGUMENT", "source"),
    ]
    for variables, code, field in cases:
        reply = graphql(
            RECORD,
            {"subject": subject, "purpose": "PHONE", "granted": True, **variables},
            bu="acme.de",
            as_="acme.de.manager",
        )
        if reply.errors:  # a naive date-time is not even a DateTime to the schema
            assert variables.get("at") == "2026-01-01T10:00:00"
            continue
        refused = reply.data["consentRecord"]
        assert refused["errors"] == [{"field": field, "code": code}], variables
    # An unknown purpose is not in the schema's enum; the service refuses it typed, too.
    unknown = graphql(
        RECORD,
        {"subject": subject, "purpose": "TELEPATHY", "granted": True},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert unknown.errors
    assert unknown.data is None
    with schema_context(DE), pytest.raises(CrmError) as refused:
        record_consent(
            access_of("acme.de.manager"),
            subject=ConsentSubject.contact(contact.pk),
            purpose="TELEPATHY",
            granted=True,
        )
    assert (refused.value.code, refused.value.field) == ("INVALID_ARGUMENT", "purpose")
    with schema_context(DE):
        assert not ConsentEvent.objects.exists()
        assert not ConsentState.objects.exists()


def test_an_erased_record_takes_withdrawals_only(eu, graphql):
    from crm.tenants.personaldata.models import Anonymization

    contact = _contact()
    with schema_context(DE):
        Anonymization.objects.create(record_type="contact", record_id=contact.pk, reason="REQUEST")
    subject = bu_gid("Contact", contact.pk)
    granted = payload(
        graphql(
            RECORD,
            {"subject": subject, "purpose": "PHONE", "granted": True},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "consentRecord",
    )
    assert granted["errors"] == [{"field": "granted", "code": "INVALID_ARGUMENT"}]
    withdrawn = payload(
        graphql(
            RECORD,
            {"subject": subject, "purpose": "PHONE", "granted": False},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "consentRecord",
    )
    assert withdrawn["errors"] == []


def test_who_may_read_and_record_consents(eu, graphql):
    contact = _contact()
    subject = bu_gid("Contact", contact.pk)
    others_lead = _lead(owner=automation.user("acme.de.manager"), email="x@example.org")

    legal = payload(
        graphql(
            RECORD,
            {"subject": subject, "purpose": "PHONE", "granted": True},
            bu="acme.de",
            as_="acme.de.legal",
        ),
        "consentRecord",
    )
    assert legal["errors"] == [{"field": None, "code": "PERMISSION_DENIED"}]
    # A salesperson sees only their own leads: another's is not found.
    hidden = payload(
        graphql(
            RECORD,
            {"subject": bu_gid("Lead", others_lead.pk), "purpose": "PHONE", "granted": True},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "consentRecord",
    )
    assert hidden["errors"] == [{"field": "subject", "code": "NOT_FOUND"}]
    # HQ's sales director reads contacts, not their consents.
    director = graphql(CONTACT, {"id": subject}, bu="acme.de", as_="acme.director")
    assert director.codes == ["FIELD_FORBIDDEN"]
    assert director.data["contact"]["consents"] is None
    history = graphql(HISTORY, {"subject": subject}, bu="acme.de", as_="acme.director")
    assert history.codes == ["PERMISSION_DENIED"]
    # The legal department reads them.
    assert graphql(CONTACT, {"id": subject}, bu="acme.de", as_="acme.de.legal").errors == []
    with schema_context(DE):
        assert not ConsentEvent.objects.exists()


WEBHOOK_RULE = """
mutation($actions: [JSONString!]!, $recordType: AutomationRecordType!) {
  automationRuleCreate(code: "to-marketing", names: [{language: "en", text: "To marketing"}],
                       recordType: $recordType, trigger: CREATED, actions: $actions) {
    errors { field code } rule { id }
  }
}
"""


def test_automation_sends_to_marketing_only_the_leads_that_agreed(eu, graphql):
    import json

    lead_source("WEBSITE")
    rule = payload(
        graphql(
            WEBHOOK_RULE,
            {
                "recordType": "LEAD",
                "actions": [
                    json.dumps(
                        {
                            "type": "WEBHOOK",
                            "url": "https://marketing.example.com/hook",
                            "consent": "MARKETING_EMAIL",
                        }
                    )
                ],
            },
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "automationRuleCreate",
    )
    assert rule["errors"] == []
    for name, consents in (
        ("yes", [{"purpose": "MARKETING_EMAIL", "granted": True}]),
        ("no", [{"purpose": "MARKETING_EMAIL", "granted": False}]),
        ("silent", []),
    ):
        captured = payload(
            graphql(
                CAPTURE,
                {
                    "lead": {
                        "lastName": name,
                        "email": f"{name}@example.org",
                        "companyName": f"{name} AG",
                        "country": "DE",
                    },
                    "consents": consents,
                },
                bu="acme.de",
                as_="acme.de.manager",
            ),
            "leadCapture",
        )
        assert captured["errors"] == []
    with schema_context(DE):
        leads = {
            lead.last_name: lead.pk
            for lead in Lead.objects.filter(last_name__in=["yes", "no", "silent"])
        }
        deliveries = list(WebhookDelivery.objects.all())
        assert [d.payload["record_id"] for d in deliveries] == [bu_gid("Lead", leads["yes"])]
        rule_record = Rule.objects.get(code="to-marketing")
        outcomes = {
            f.record_id: f.outcome["actions"] for f in Firing.objects.filter(rule=rule_record)
        }
    assert outcomes[leads["no"]] == [
        {"type": "WEBHOOK", "skipped": "NO_CONSENT", "purpose": "MARKETING_EMAIL"}
    ]
    assert outcomes[leads["silent"]] == outcomes[leads["no"]]
    assert outcomes[leads["yes"]][0]["type"] == "WEBHOOK"
    assert "delivery" in outcomes[leads["yes"]][0]


@pytest.mark.parametrize(
    ("record_type", "consent", "reason"),
    [("OPPORTUNITY", "MARKETING_EMAIL", "leads and contacts"), ("LEAD", "TELEPATHY", "one of")],
)
def test_a_webhook_consent_must_be_a_purpose_on_leads_or_contacts(
    eu, graphql, record_type, consent, reason
):
    import json

    refused = payload(
        graphql(
            WEBHOOK_RULE,
            {
                "recordType": record_type,
                "actions": [
                    json.dumps(
                        {
                            "type": "WEBHOOK",
                            "url": "https://marketing.example.com/hook",
                            "consent": consent,
                        }
                    )
                ],
            },
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "automationRuleCreate",
    )
    assert refused["errors"] == [{"field": "actions[0].consent", "code": "INVALID_ARGUMENT"}]
    with schema_context(DE):
        assert not Rule.objects.filter(code="to-marketing").exists()


def test_the_marketing_audience_export_holds_only_people_who_agreed(eu, graphql):
    agreed = _contact(last_name="Ja", first_name="Anna", email="ja@example.org")
    refused = _contact(last_name="Nein", email="nein@example.org")
    _contact(last_name="Stumm", email="stumm@example.org")
    _contact(last_name="Ohne", email="")
    manager = access_of("acme.de.manager")
    with schema_context(DE):
        for contact, granted in ((agreed, True), (refused, False)):
            record_consent(
                manager,
                subject=ConsentSubject.contact(contact.pk),
                purpose="MARKETING_EMAIL",
                granted=granted,
            )
        record_consent(
            manager, subject=ConsentSubject.contact(refused.pk), purpose="PHONE", granted=True
        )
    export = graphql(AUDIENCE, {"type": "CONTACT"}, bu="acme.de", as_="acme.de.manager")
    assert export.errors == []
    assert export.data["marketingAudienceExport"]["rows"] == 1
    lines = export.data["marketingAudienceExport"]["csv"].splitlines()
    assert lines == ["email,first_name,last_name,language", "ja@example.org,Anna,Ja,"]
    leads = graphql(AUDIENCE, {"type": "LEAD"}, bu="acme.de", as_="acme.de.manager")
    assert leads.data["marketingAudienceExport"]["rows"] == 0
    # Exporting people is for those who may export contacts.
    assert graphql(AUDIENCE, {"type": "CONTACT"}, bu="acme.de", as_="acme.de.sales").codes == [
        "PERMISSION_DENIED"
    ]
