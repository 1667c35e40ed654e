"""The quote-to-cash models declare their personal data, and every place that relies on those
declarations agrees: the GDPR flows handle each personal text, the policy audits its reads,
nothing personal is replicated, and the residency scan stops it in the replication outbox."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from crm.platform.core.placement import Schema, placement_of
from crm.platform.permissions.registry import object_type
from crm.regions import residency
from crm.replication.registry import REPLICATED
from crm.tenants.personaldata.documents import KINDS

Q2C_APPS = ("quotes", "contracts", "ledger")
# Personal models of these apps that the data-subject flows do not search, and why.
NOT_SEARCHED = {
    # Who stands in for whom and why (a leave): employees' data, handled with their accounts.
    "contracts.ApprovalDelegation": "employees' data",
    # The ledger's outbox: a copy of a payment's reference, blanked with the payment's by
    # retention (and kept with it under the accounting hold).
    "ledger.IntegrationEvent": "copy of payment.reference",
}
# The policy's personal fields of each document type (their reads are audited).
AUDITED = {
    "quote": {"note", "approvals"},
    "contract": {"terms", "events"},
    "approval": {"comment"},
    "order": {"customer_reference", "notes"},
    "invoice": {"notes"},
    "credit_note": {"reason"},
    "payment": {"reference"},
}


def _q2c_models() -> list[type]:
    return [model for label in Q2C_APPS for model in apps.get_app_config(label).get_models()]


def test_the_models_with_personal_texts_are_declared_personal():
    personal = {
        model._meta.label
        for model in _q2c_models()
        if (placement := placement_of(model)) is not None and placement.personal_data
    }
    assert personal == {
        "quotes.Quote",
        "quotes.QuoteApproval",
        "contracts.Contract",
        "contracts.ApprovalTask",
        "contracts.ApprovalEvent",
        "contracts.ApprovalDelegation",
        "ledger.Order",
        "ledger.Invoice",
        "ledger.CreditNote",
        "ledger.Payment",
        "ledger.IntegrationEvent",
    }
    for model in _q2c_models():
        assert placement_of(model).schema == Schema.TENANT  # type: ignore[union-attr]


def test_the_gdpr_flows_handle_every_personal_model_and_nothing_else():
    searched = {part.model for kind in KINDS for part in kind.parts}
    declared = {
        model._meta.label
        for model in _q2c_models()
        if placement_of(model).personal_data  # type: ignore[union-attr]
    }
    assert searched | set(NOT_SEARCHED) == declared
    assert not searched & set(NOT_SEARCHED)
    for kind in KINDS:
        for part in kind.parts:
            model = apps.get_model(part.model)
            for name in part.fields:
                field = model._meta.get_field(name)
                assert field.get_internal_type() in ("CharField", "TextField"), (part.model, name)


def test_reads_of_the_personal_fields_are_audited():
    for name, fields in AUDITED.items():
        assert object_type(name).personal_names == fields, name


def test_nothing_of_quote_to_cash_is_replicated():
    replicated = {item.label for item in REPLICATED}
    assert not replicated & {model._meta.label for model in _q2c_models()}


@pytest.mark.django_db
def test_the_residency_scan_stops_personal_documents_in_the_replication_outbox(world):
    from crm.replication.models import OutboxEntry

    def entry(label: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            xid = cursor.fetchone()[0]
        OutboxEntry.objects.create(
            group_id=world.acme_id,
            model=label,
            object_pk="1",
            op="upsert",
            data={},
            xid=xid,
            created_at=timezone.now(),
        )

    entry("ledger.payment")
    entry("ledger.allocation")
    checked: dict[str, int] = {}
    findings = residency.scan_outbox("cn", checked)
    assert [(f.kind, f.count) for f in findings] == [("outbox", 1)]
    assert "ledger.payment" in findings[0].detail


def test_reading_a_quotes_note_or_a_contracts_terms_is_an_audited_personal_read(
    world, graphql, settings
):
    from graphql_relay import to_global_id

    from crm.platform.permissions.models import AuditEntry
    from crm.tests.contracts.helpers import make_contract

    settings.REGION = "eu"
    contract = make_contract()
    quote_id = to_global_id("Quote", contract.quote_id)
    plain = graphql(
        "query($id: ID!) { quote(id: $id) { number netTotal { amount } } }",
        {"id": quote_id},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert plain.errors == []
    assert not AuditEntry.objects.filter(event="PERSONAL_READ").exists()
    for query, variables in (
        ("query($id: ID!) { quote(id: $id) { note } }", {"id": quote_id}),
        (
            "query($id: ID!) { contract(id: $id) { terms } }",
            {"id": to_global_id("Contract", contract.pk)},
        ),
    ):
        assert graphql(query, variables, bu="acme.de", as_="acme.de.manager").errors == []
    reads = {
        (entry.object_type, tuple(entry.object_ids), tuple(entry.details["fields"]))
        for entry in AuditEntry.objects.filter(event="PERSONAL_READ")
    }
    assert reads == {
        ("quote", (str(contract.quote_id),), ("note",)),
        ("contract", (str(contract.pk),), ("terms",)),
    }
