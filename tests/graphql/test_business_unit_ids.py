"""Ids of records in a BU's own schema name their BU: lead 9999 of acme.de is not lead 9999 of
acme.jp, and an id from one BU used with another BU's header is NOT_FOUND and changes nothing."""

from __future__ import annotations

from django_tenants.utils import schema_context
from graphql_relay import from_global_id, to_global_id

from crm.tests.fixtures.ids import bu_gid

ONE = """query($id: ID!) { lead(id: $id) { id companyName } }"""
UPDATE = """mutation($id: ID!) { leadUpdate(id: $id, lead: {companyName: "Overwritten"}) {
  lead { companyName } errors { field code } } }"""


def _leads_with_the_same_number() -> None:
    from crm.tenants.leads.models import Lead
    from crm.tenants.models import BusinessUnit

    for code, name in (("de", "Deutsche Firma"), ("jp", "日本の会社")):
        unit = BusinessUnit.objects.get(group__code="acme", code=code)
        with schema_context(unit.schema_name):
            Lead.objects.create(pk=9999, company_name=name, last_name="X", country="DE")


def test_ids_of_bu_records_name_their_bu(world, graphql, settings):
    _leads_with_the_same_number()
    settings.REGION = "eu"
    reply = graphql(ONE, {"id": bu_gid("Lead", 9999)}, bu="acme.de", as_="acme.de.manager")
    assert reply.errors == []
    found = reply.data["lead"]
    assert found["companyName"] == "Deutsche Firma"
    kind, raw = from_global_id(found["id"])
    assert kind == "Lead"
    assert raw.endswith(".9999")
    assert raw != "9999"


def test_another_bus_id_is_not_found_and_changes_nothing(world, graphql, settings):
    from crm.tenants.leads.models import Lead
    from crm.tenants.models import BusinessUnit

    _leads_with_the_same_number()
    settings.REGION = "ap"
    german = bu_gid("Lead", 9999, "acme.de")
    reply = graphql(ONE, {"id": german}, bu="acme.jp", as_="acme.admin")
    assert reply.data["lead"] is None
    assert [error["extensions"]["code"] for error in reply.errors] == ["NOT_FOUND"]
    update = graphql(UPDATE, {"id": german}, bu="acme.jp", as_="acme.admin").data["leadUpdate"]
    assert [error["code"] for error in update["errors"]] == ["NOT_FOUND"]
    with schema_context(BusinessUnit.objects.get(group__code="acme", code="jp").schema_name):
        assert Lead.objects.get(pk=9999).company_name == "日本の会社"
    # A bare number is read as a record of the request's BU; a malformed one is refused.
    bare = graphql(ONE, {"id": to_global_id("Lead", 9999)}, bu="acme.jp", as_="acme.admin")
    assert bare.errors == []
    malformed = graphql(ONE, {"id": to_global_id("Lead", "x.9999")}, bu="acme.jp", as_="acme.admin")
    assert [error["extensions"]["code"] for error in malformed.errors] == ["MALFORMED_ID"]
