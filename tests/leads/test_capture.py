"""Capturing leads for the German BU through the API: as a web form's integration key and as a
user; bad input refused with its code and nothing written; idempotent resubmission."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.tests.leads.helpers import (
    CAPTURE,
    access_of,
    as_key,
    assignment_rule,
    campaign,
    codes,
    lead_source,
    payload,
    tag_rule,
)

DE = "bu_acme_de"


def lead_count() -> int:
    from crm.tenants.leads.models import Lead

    with schema_context(DE):
        return Lead.objects.count()


def form(**fields: Any) -> dict[str, Any]:
    base = {
        "firstName": "Anna",
        "lastName": "Schmidt",
        "companyName": "Kraftwerk Displays GmbH",
        "email": "Anna.Schmidt@Kraftwerk.example",
        "phone": "+49 (89) 123-456",
        "country": "de",
        "industry": "AUTOMOTIVE",
        "source": "WEBSITE",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def de(world, settings):
    settings.REGION = "eu"
    lead_source("WEBSITE")
    lead_source("TRADE_FAIR")
    return world


def test_web_form_capture_as_integration_key_is_tagged_and_assigned_by_rule(de, graphql):
    from crm.tenants.automation import engine
    from crm.tenants.leads.models import Lead, LeadAssignment

    with schema_context(DE):
        tag_rule("automotive", [{"field": "industry", "op": "eq", "value": "automotive"}])
        tag_rule("dach", [{"field": "country", "op": "in", "value": ["DE", "AT", "CH"]}])
        tag_rule("japan", [{"field": "country", "op": "eq", "value": "JP"}])
        assignment_rule(
            "DACH to sales",
            "USER",
            [{"field": "country", "op": "eq", "value": "DE"}],
            user="acme.de.sales",
        )
    token = as_key(graphql)
    seen: list[Any] = []
    original = engine.run
    engine.run = lambda access, event: seen.append(event)  # type: ignore[assignment]
    try:
        reply = graphql(
            CAPTURE, {"lead": form(), "key": "form-1", "channel": "form"}, bu="acme.de", token=token
        )
    finally:
        engine.run = original  # type: ignore[assignment]
    found = payload(reply, "leadCapture")
    assert found["errors"] == []
    assert found["created"] is True
    lead = found["lead"]
    assert lead["status"] == "NEW"
    assert lead["tags"] == ["automotive", "dach"]
    assert lead["channel"] == "FORM"
    assert lead["email"] == "anna.schmidt@kraftwerk.example"
    assert lead["country"] == "DE"
    assert lead["source"]["code"] == "WEBSITE"
    assert lead["owner"]["username"] == "acme.de.sales"
    assert lead["assignments"][0]["toUser"]["username"] == "acme.de.sales"
    assert lead["assignments"][0]["rule"] == "DACH to sales"
    assert lead["assignments"][0]["actor"].startswith("api-key:")
    with schema_context(DE):
        row = Lead.objects.get()
        assert row.phone == "+4989123456"
        assert LeadAssignment.objects.filter(lead=row).count() == 1
    assert [(e.trigger, e.record_type) for e in seen] == [("CREATED", "lead")]


def test_capture_as_user_in_german(de, graphql):
    reply = graphql(CAPTURE, {"lead": form()}, bu="acme.de", as_="acme.de.sales", language="de")
    found = payload(reply, "leadCapture")
    assert found["errors"] == []
    assert found["lead"]["source"]["name"] in ("Website", "Website (de)")
    assert found["lead"]["owner"]["username"] == "acme.de.sales"  # no rule: the one who captured it


def test_resubmitted_form_is_the_same_lead(de, graphql):
    token = as_key(graphql)
    first = payload(
        graphql(CAPTURE, {"lead": form(), "key": "k-1"}, bu="acme.de", token=token), "leadCapture"
    )
    before = lead_count()
    again = payload(
        graphql(CAPTURE, {"lead": form(), "key": "k-1"}, bu="acme.de", token=token), "leadCapture"
    )
    assert again["errors"] == []
    assert again["created"] is False
    assert again["lead"]["id"] == first["lead"]["id"]
    assert lead_count() == before


def test_key_reused_with_other_content_is_a_conflict(de, graphql):
    token = as_key(graphql)
    payload(
        graphql(CAPTURE, {"lead": form(), "key": "k-2"}, bu="acme.de", token=token), "leadCapture"
    )
    before = lead_count()
    other = payload(
        graphql(
            CAPTURE,
            {"lead": form(email="other@x.example"), "key": "k-2"},
            bu="acme.de",
            token=token,
        ),
        "leadCapture",
    )
    assert codes(other) == [("idempotencyKey", "IDEMPOTENCY_CONFLICT")]
    assert other["lead"] is None
    assert lead_count() == before


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"email": "not-an-address"}, ("email", "INVALID_ARGUMENT")),
        ({"country": "XX"}, ("country", "INVALID_ARGUMENT")),
        ({"country": "Germany"}, ("country", "INVALID_ARGUMENT")),
        ({"source": "CARRIER_PIGEON"}, ("source", "NOT_FOUND")),
        ({"campaign": "no-such-campaign"}, ("campaign", "NOT_FOUND")),
        ({"products": ["not-an-id"]}, ("products", "MALFORMED_ID")),
        ({"products": [to_global_id("Material", 999999999)]}, ("products", "NOT_FOUND")),
        ({"phone": "call me"}, ("phone", "INVALID_ARGUMENT")),
    ],
    ids=["email", "country", "country-name", "source", "campaign", "id", "material", "phone"],
)
def test_bad_input_is_refused_and_writes_nothing(de, graphql, fields, expected):
    token = as_key(graphql)
    before = lead_count()
    found = payload(
        graphql(CAPTURE, {"lead": form(**fields)}, bu="acme.de", token=token), "leadCapture"
    )
    assert codes(found) == [expected]
    assert found["lead"] is None
    assert lead_count() == before


def test_rival_material_is_not_found(de, graphql):
    from crm.masterdata.models import Material

    secret = Material.objects.get(code="RIVAL-SECRET")
    found = payload(
        graphql(
            CAPTURE,
            {"lead": form(products=[to_global_id("Material", secret.pk)])},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadCapture",
    )
    assert codes(found) == [("products", "NOT_FOUND")]


def test_products_set_the_product_line(de, graphql):
    from crm.masterdata.models import Material, MaterialCategory

    category = MaterialCategory.objects.create(group_id=de.acme_id, code="AUTO", name="Auto")
    material = Material.objects.get(code="M-005")
    material.category = category
    material.save()
    found = payload(
        graphql(
            CAPTURE,
            {"lead": form(products=[to_global_id("Material", material.pk)])},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadCapture",
    )
    assert found["errors"] == []
    with schema_context(DE):
        from crm.tenants.leads.models import Lead

        lead = Lead.objects.get()
        assert lead.product_ids == [material.pk]
        assert lead.product_line == "AUTO"


def test_required_fields_are_the_business_units_own(de, graphql):
    from crm.tenants.customfields.models import FieldDefinition, FieldRequirement

    token = as_key(graphql)
    # Without requirements, a lead with only an e-mail is fine.
    minimal = {"email": "only@mail.example"}
    assert (
        payload(graphql(CAPTURE, {"lead": minimal}, bu="acme.de", token=token), "leadCapture")[
            "errors"
        ]
        == []
    )
    with schema_context(DE):
        FieldRequirement.objects.create(record_type="lead", field="company_name")
        FieldRequirement.objects.create(record_type="lead", field="phone", from_stage="QUALIFIED")
    before = lead_count()
    found = payload(
        graphql(CAPTURE, {"lead": {"email": "x@mail.example"}}, bu="acme.de", token=token),
        "leadCapture",
    )
    assert codes(found) == [("companyName", "REQUIRED_FIELD_MISSING")]
    assert lead_count() == before
    # phone is required from QUALIFIED only: capture does not ask for it
    ok = payload(
        graphql(
            CAPTURE,
            {"lead": {"email": "y@mail.example", "companyName": "Y"}},
            bu="acme.de",
            token=token,
        ),
        "leadCapture",
    )
    assert ok["errors"] == []
    with schema_context(DE):
        FieldDefinition.objects.create(
            record_type="lead", code="budget", label="Budget", kind="NUMBER", required=True
        )
    found = payload(
        graphql(
            CAPTURE,
            {"lead": {"email": "z@mail.example", "companyName": "Z"}},
            bu="acme.de",
            token=token,
        ),
        "leadCapture",
    )
    assert codes(found) == [("customFields.budget", "REQUIRED_FIELD_MISSING")]


def test_campaign_sets_the_source(de, graphql):
    with schema_context(DE):
        campaign(code="hannover-2026", source="TRADE_FAIR")
    found = payload(
        graphql(
            CAPTURE,
            {"lead": form(source=None, campaign="hannover-2026")},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadCapture",
    )
    assert found["errors"] == []
    assert found["lead"]["campaign"]["code"] == "hannover-2026"
    assert found["lead"]["source"]["code"] == "TRADE_FAIR"


def test_legal_may_not_capture(de, graphql):
    before = lead_count()
    found = payload(
        graphql(CAPTURE, {"lead": form()}, bu="acme.de", as_="acme.de.legal"), "leadCapture"
    )
    assert [e["code"] for e in found["errors"]] == ["PERMISSION_DENIED"]
    assert lead_count() == before


def test_key_of_another_bu_cannot_capture_here(de, graphql):
    token = as_key(graphql, bu="acme.jp")
    before = lead_count()
    reply = graphql(CAPTURE, {"lead": form()}, bu="acme.de", token=token)
    assert reply.codes == ["NOT_A_MEMBER"] or reply.status == 403, reply.body
    assert lead_count() == before


def test_two_concurrent_submits_make_one_lead(world, settings):
    """Two transactions capture with the same key at once (committed, on their own
    connections): one lead, and both get its id."""
    from crm.tenants.leads.models import Lead
    from crm.tenants.leads.services import capture_lead

    settings.REGION = "eu"
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def submit() -> None:
        try:
            with schema_context(DE):
                lead_source("WEBSITE")
                access = access_of("acme.de.manager")
                barrier.wait(10)
                captured = capture_lead(
                    access,
                    {"email": "race@x.example", "source": "WEBSITE"},
                    idempotency_key="race-1",
                )
                results.append(captured.lead.pk)
        except Exception as error:  # handed to the assertions below
            results.append(error)
        finally:
            connection.close()

    def clean_up() -> None:
        with schema_context(DE):
            Lead.objects.filter(idempotency_key="race-1").delete()
        connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert len(results) == 2
        assert all(isinstance(r, int) for r in results), results
        assert results[0] == results[1]
        counted: list[int] = []

        def count() -> None:
            with schema_context(DE):
                counted.append(Lead.objects.filter(idempotency_key="race-1").count())
            connection.close()

        counter = threading.Thread(target=count)
        counter.start()
        counter.join(10)
        assert counted == [1]
    finally:
        cleaner = threading.Thread(target=clean_up)
        cleaner.start()
        cleaner.join(10)


def test_resubmission_is_answered_even_after_the_configuration_changed(de, graphql):
    from crm.tenants.customfields.models import FieldRequirement

    token = as_key(graphql)
    first = payload(
        graphql(CAPTURE, {"lead": form(), "key": "k-3"}, bu="acme.de", token=token),
        "leadCapture",
    )
    with schema_context(DE):
        FieldRequirement.objects.create(record_type="lead", field="region")
    again = payload(
        graphql(CAPTURE, {"lead": form(), "key": "k-3"}, bu="acme.de", token=token),
        "leadCapture",
    )
    assert again["errors"] == []
    assert again["lead"]["id"] == first["lead"]["id"]
    fresh = payload(
        graphql(CAPTURE, {"lead": form(), "key": "k-4"}, bu="acme.de", token=token),
        "leadCapture",
    )
    assert codes(fresh) == [("region", "REQUIRED_FIELD_MISSING")]
