"""Access and portability: one request finds the person in every business unit of the group in
this cell (and in no other region's), and produces one JSON export that follows its schema."""

from __future__ import annotations

import json

import pytest

from crm.regions.privacy import schema_check
from crm.regions.privacy.exports import schema
from crm.regions.privacy.models import DataSubjectRequest, SubjectExport
from crm.tests.privacy.helpers import CREATE, FULFIL, payload, seed_person

EMAIL = "Anna.Zyxwerda@Example.org"
PHONE = "+49 89 1234567"
MATCHES = """
query($id: ID!) { dataSubjectRequest(id: $id) { matches { businessUnit recordType count } } }
"""


def _file(graphql, officer, kind, **identifier):
    reply = graphql(CREATE, {"kind": kind, **identifier}, bu="acme.de", as_=officer)
    return payload(reply, "dataSubjectRequestCreate")["request"]["id"]


def _download(client, graphql, username, url, bu="acme.de"):
    token = graphql.token_for(username)
    return client.get(url, headers={"Authorization": f"Bearer {token}", "X-Business-Unit": bu})


@pytest.fixture
def everywhere(eu, acme_fr, settings):
    """The same person in both EU units, in the Japanese (ap) and the HQ (cn) unit; and somebody
    else in acme.de."""
    people = {
        handle: seed_person(handle, email=EMAIL, phone=PHONE)
        for handle in ("acme.de", "acme.fr", "acme.jp", "acme.hq")
    }
    seed_person(
        "acme.de",
        email="someone.else@example.org",
        phone="+49 30 7654321",
        first_name="Bernd",
        last_name="Quaxley",
    )
    return people


def test_an_access_export_covers_both_eu_units_and_no_other_region(
    everywhere, graphql, client, officer
):
    request_id = _file(graphql, officer, "ACCESS", email=EMAIL)
    preview = payload(
        graphql(MATCHES, {"id": request_id}, bu="acme.de", as_=officer), "dataSubjectRequest"
    )["matches"]
    assert {(m["businessUnit"], m["recordType"], m["count"]) for m in preview} == {
        (handle, kind, count)
        for handle in ("acme.de", "acme.fr")
        for kind, count in (("contact", 1), ("lead", 1), ("activity", 2))
    }

    done = payload(
        graphql(FULFIL, {"id": request_id}, bu="acme.de", as_=officer), "dataSubjectRequestFulfil"
    )
    assert done["errors"] == []
    request = done["request"]
    assert request["status"] == "COMPLETED"
    assert request["handledBy"] == officer
    assert request["identifier"] == EMAIL.lower()  # kept: nothing was erased
    assert (
        request["export"]["url"]
        == f"/files/data-subject-requests/{DataSubjectRequest.objects.get().pk}/export.json"
    )
    assert request["export"]["records"] == 2 * (
        1 + 1 + 2 + 2
    )  # contact, lead, 2 activities, 2 consents

    response = _download(client, graphql, officer, request["export"]["url"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    document = json.loads(response.content)
    assert schema_check.errors(document, schema()) == []
    assert document["request"]["kind"] == "ACCESS"
    assert document["request"]["identifier"] == {"type": "EMAIL", "value": EMAIL.lower()}
    assert document["searched_business_units"] == ["acme.de", "acme.fr"]
    assert [section["business_unit"]["code"] for section in document["business_units"]] == [
        "acme.de",
        "acme.fr",
    ]
    for section, person in zip(
        document["business_units"], (everywhere["acme.de"], everywhere["acme.fr"]), strict=True
    ):
        assert section["business_unit"]["region"] == "eu"
        (contact,) = section["contacts"]
        assert (contact["first_name"], contact["last_name"]) == ("Anna", "Zyxwerda")
        assert contact["email"] == EMAIL
        assert contact["custom_fields"] == {"birthday": "1980-02-29"}
        (lead,) = section["leads"]
        assert lead["message"] == "Please call me, Anna Zyxwerda"
        assert lead["status"] == "CONVERTED"
        assert {activity["kind"] for activity in section["activities"]} == {"CALL", "EMAIL"}
        assert {(c["purpose"], c["granted"], c["source"]) for c in section["consents"]} == {
            ("MARKETING_EMAIL", True, "WEB_FORM"),
            ("PHONE", True, "SALES_REP"),
        }
        assert "access_log" in section
        assert "Bernd" not in json.dumps(section)  # nobody else's data
        del person
    assert document["retention"] == []
    # Nothing of the other regions' units: their records share the e-mail, not the cell.
    assert "acme.jp" not in json.dumps(document)
    assert "acme.hq" not in json.dumps(document)


def test_a_phone_request_finds_the_person_by_any_writing_of_the_number(
    everywhere, graphql, officer
):
    request_id = _file(graphql, officer, "PORTABILITY", phone="0049-89-123 45 67")
    done = payload(
        graphql(FULFIL, {"id": request_id}, bu="acme.de", as_=officer), "dataSubjectRequestFulfil"
    )["request"]
    document = SubjectExport.objects.get().document
    assert schema_check.errors(document, schema()) == []
    assert document["request"]["kind"] == "PORTABILITY"
    assert [s["business_unit"]["code"] for s in document["business_units"]] == [
        "acme.de",
        "acme.fr",
    ]
    # Portability is the data itself: no access log, no retention.
    assert all("access_log" not in section for section in document["business_units"])
    assert "retention" not in document
    assert done["export"]["records"] == 12


def test_the_access_log_says_when_the_records_were_read(everywhere, graphql, officer):
    from crm.tests.fixtures.ids import bu_gid

    contact_id = bu_gid("Contact", everywhere["acme.de"].contact_id, "acme.de")
    read = graphql(
        "query($id: ID!) { contact(id: $id) { email } }",
        {"id": contact_id},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert read.errors == []
    request_id = _file(graphql, officer, "ACCESS", email=EMAIL)
    payload(
        graphql(FULFIL, {"id": request_id}, bu="acme.de", as_=officer), "dataSubjectRequestFulfil"
    )
    document = SubjectExport.objects.get().document
    (german, french) = document["business_units"]
    reads = [entry for entry in german["access_log"] if entry["event"] == "PERSONAL_READ"]
    assert [entry["about"] for entry in reads] == [{"type": "contact", "id": contact_id}]
    assert reads[0]["fields"] == ["email"]
    assert "acme.de.manager" not in json.dumps(document)  # the reader is not named
    assert french["access_log"] == []


def test_nobody_found_gives_an_empty_export(eu, acme_fr, graphql, officer):
    request_id = _file(graphql, officer, "ACCESS", email="nobody.here@example.org")
    done = payload(
        graphql(FULFIL, {"id": request_id}, bu="acme.de", as_=officer), "dataSubjectRequestFulfil"
    )["request"]
    assert done["status"] == "COMPLETED"
    assert done["result"] == []
    document = SubjectExport.objects.get().document
    assert document["business_units"] == []
    assert document["searched_business_units"] == ["acme.de", "acme.fr"]
    assert schema_check.errors(document, schema()) == []


def test_the_download_is_for_those_who_may_export_it(everywhere, graphql, client, officer):
    request_id = _file(graphql, officer, "ACCESS", email=EMAIL)
    url = payload(
        graphql(FULFIL, {"id": request_id}, bu="acme.de", as_=officer), "dataSubjectRequestFulfil"
    )["request"]["export"]["url"]

    assert _download(client, graphql, "acme.admin", url).status_code == 200
    auditor = _download(client, graphql, "acme.auditor", url)
    assert auditor.status_code == 403
    assert json.loads(auditor.content)["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    sales = _download(client, graphql, "acme.de.sales", url)
    assert sales.status_code == 403
    anonymous = client.get(url, headers={"X-Business-Unit": "acme.de"})
    assert anonymous.status_code == 401
    missing = _download(client, graphql, officer, "/files/data-subject-requests/999999/export.json")
    assert missing.status_code == 404
    # An expired export is gone.
    SubjectExport.objects.update(expires_at="2000-01-01T00:00:00Z")
    assert _download(client, graphql, officer, url).status_code == 404


def test_the_schema_checker_refuses_what_the_schema_does_not_allow(everywhere, graphql, officer):
    request_id = _file(graphql, officer, "ACCESS", email=EMAIL)
    payload(
        graphql(FULFIL, {"id": request_id}, bu="acme.de", as_=officer), "dataSubjectRequestFulfil"
    )
    document = SubjectExport.objects.get().document
    broken = json.loads(json.dumps(document))
    broken["business_units"][0]["contacts"][0]["password"] = "x"
    del broken["business_units"][0]["leads"][0]["email"]
    broken["business_units"][0]["consents"][0]["purpose"] = "SPAM"
    broken["business_units"][0]["activities"][0]["occurred_at"] = "yesterday"
    broken["version"] = 1  # the documents' version 1 had no quote-to-cash documents
    problems = schema_check.errors(broken, schema())
    assert "$.business_units[0].contacts[0]: password not allowed" in problems
    assert "$.business_units[0].leads[0]: email missing" in problems
    assert any(p.startswith("$.business_units[0].consents[0].purpose:") for p in problems)
    assert (
        "$.business_units[0].activities[0].occurred_at: not an ISO 8601 date and time" in problems
    )
    assert "$.version: not 2" in problems
