"""Contacts through the API: validation with typed errors that change nothing, the policy
(front sales edit their own, legal reads, HQ reads without personal data), isolation."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.platform.core.errors import CrmError
from crm.platform.permissions.models import AuditEntry
from crm.tenants.contacts import services
from crm.tenants.contacts.models import Contact
from crm.tests.relationships.helpers import (
    access_as,
    bu_account,
    bu_activity,
    bu_contact,
    gid,
    golden,
    user_id,
)

CREATE = """
mutation($account: ID, $last: String, $email: String, $phone: String, $language: String,
         $owner: ID, $role: BuyingRole) {
  contactCreate(account: $account, firstName: "Jürgen", lastName: $last, email: $email,
                phone: $phone, language: $language, owner: $owner, buyingRole: $role,
                firstNameLatin: "Juergen", consentEmail: true) {
    errors { field code } contact { id lastName email phone language buyingRole consentEmail
                                    firstNameLatin owner { username } account { localCode } } } }
"""
UPDATE = """
mutation($id: ID!, $email: String, $account: ID) {
  contactUpdate(id: $id, email: $email, account: $account) {
    errors { field code } contact { email account { localCode } } } }
"""
DELETE = "mutation($id: ID!) { contactDelete(id: $id) { errors { field code } deletedId } }"
ONE = "query($id: ID!) { contact(id: $id) { lastName email jobTitle buyingRole } }"
LIST = """
query($filter: ContactFilter) { contacts(first: 20, filter: $filter) {
  totalCount edges { node { id lastName } } } }
"""


@pytest.fixture
def account(world: Any) -> Any:
    return bu_account(
        "acme.de", golden(world.acme_id, "K-CON", "Kontakt AG"), owner="acme.de.sales"
    )


def create(graphql: Any, as_: str = "acme.de.sales", bu: str = "acme.de", **variables: Any) -> Any:
    reply = graphql(CREATE, {"last": "Müller", **variables}, bu=bu, as_=as_)
    assert reply.errors == [], reply.errors
    return reply.data["contactCreate"]


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def test_a_contact_is_created_with_normalized_values_and_its_reads_are_audited(
    world, graphql, settings, account
):
    settings.REGION = "eu"
    payload = create(
        graphql,
        account=gid("Account", account),
        email="j.mueller@Kontakt.DE",
        phone="+49  221 123-456",
        language="de-DE",
        role="DECISION_MAKER",
    )
    assert payload["errors"] == []
    contact = payload["contact"]
    assert contact["email"] == "j.mueller@kontakt.de"
    assert contact["phone"] == "+49 221 123-456"
    assert contact["language"] == "de"
    assert contact["buyingRole"] == "DECISION_MAKER"
    assert contact["consentEmail"] is True
    assert contact["firstNameLatin"] == "Juergen"
    assert contact["owner"] == {"username": "acme.de.sales"}
    assert contact["account"] == {"localCode": "L-K-CON"}
    reads = AuditEntry.objects.filter(event="PERSONAL_READ", object_type="contact")
    assert reads.filter(user_id=user_id("acme.de.sales")).exists()


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"last": "  "}, ("REQUIRED_FIELD_MISSING", "lastName")),
        ({"email": "not-an-address"}, ("INVALID_ARGUMENT", "email")),
        ({"phone": "call me maybe"}, ("INVALID_ARGUMENT", "phone")),
        ({"phone": "12"}, ("INVALID_ARGUMENT", "phone")),
        ({"language": "klingon"}, ("UNKNOWN_LANGUAGE", "language")),
        ({"account": "not-an-id"}, ("MALFORMED_ID", "account")),
        ({"account": "QWNjb3VudDo5OTk5OTk="}, ("NOT_FOUND", "account")),  # Account:999999
        ({"owner": "VXNlcjo5OTk5OTk="}, ("PERMISSION_DENIED", None)),  # sales may not assign
    ],
)
def test_bad_input_is_refused_with_a_typed_error_and_nothing_is_written(
    world, graphql, settings, variables, expected
):
    settings.REGION = "eu"
    with schema_context("bu_acme_de"):
        before = Contact.objects.count()
    assert codes(create(graphql, **variables)) == [expected]
    with schema_context("bu_acme_de"):
        assert Contact.objects.count() == before


def test_an_unknown_buying_role_is_refused_by_the_schema_and_by_the_service(
    world, graphql, settings
):
    settings.REGION = "eu"
    reply = graphql(CREATE, {"last": "X", "role": "BOSS"}, bu="acme.de", as_="acme.de.sales")
    assert reply.errors  # not a value of the BuyingRole enum
    with schema_context("bu_acme_de"), pytest.raises(CrmError) as refused:
        services.create_contact(
            access_as("acme.de.sales", "acme.de"),
            values={"last_name": "X", "buying_role": "BOSS"},
        )
    assert (refused.value.code.value, refused.value.field) == ("INVALID_ARGUMENT", "buyingRole")


def test_an_owner_outside_the_business_unit_is_an_invalid_assignee(world, graphql, settings):
    settings.REGION = "eu"
    for outsider in ("acme.jp.sales", "acme.nobody"):
        payload = create(graphql, as_="acme.de.manager", owner=gid("User", user_id(outsider)))
        assert codes(payload) == [("INVALID_ASSIGNEE", "owner")]
    payload = create(graphql, as_="acme.de.manager", owner=gid("User", user_id("acme.de.sales")))
    assert payload["contact"]["owner"] == {"username": "acme.de.sales"}


def test_front_sales_edit_and_delete_their_own_contacts_only(world, graphql, settings, account):
    settings.REGION = "eu"
    mine = bu_contact("acme.de", account, owner="acme.de.sales")
    theirs = bu_contact("acme.de", account, last_name="Schmidt", owner="acme.de.manager")
    as_sales = {"bu": "acme.de", "as_": "acme.de.sales"}
    ok = graphql(UPDATE, {"id": gid("Contact", mine), "email": "a@b.de"}, **as_sales)
    assert ok.data["contactUpdate"] == {
        "errors": [],
        "contact": {"email": "a@b.de", "account": {"localCode": "L-K-CON"}},
    }
    refused = graphql(UPDATE, {"id": gid("Contact", theirs), "email": "a@b.de"}, **as_sales)
    assert codes(refused.data["contactUpdate"]) == [("PERMISSION_DENIED", None)]
    assert codes(
        graphql(DELETE, {"id": gid("Contact", theirs)}, **as_sales).data["contactDelete"]
    ) == [("PERMISSION_DENIED", None)]
    assert graphql(DELETE, {"id": gid("Contact", mine)}, **as_sales).data["contactDelete"] == {
        "errors": [],
        "deletedId": gid("Contact", mine),
    }
    with schema_context("bu_acme_de"):
        assert not Contact.objects.filter(pk=mine.pk).exists()
        assert Contact.objects.get(pk=theirs.pk).email == ""


def test_a_contact_named_by_an_activity_is_in_use(world, graphql, settings, account):
    settings.REGION = "eu"
    person = bu_contact("acme.de", account, owner="acme.de.sales")
    bu_activity("acme.de", account=account, contact=person, owner="acme.de.sales")
    reply = graphql(DELETE, {"id": gid("Contact", person)}, bu="acme.de", as_="acme.de.sales")
    assert codes(reply.data["contactDelete"]) == [("IN_USE", "id")]


def test_legal_reads_contacts_but_writes_none(world, graphql, settings, account):
    settings.REGION = "eu"
    person = bu_contact("acme.de", account, owner="acme.de.sales", email="x@y.de")
    read = graphql(ONE, {"id": gid("Contact", person)}, bu="acme.de", as_="acme.de.legal")
    assert read.errors == []
    assert read.data["contact"]["email"] == "x@y.de"
    assert codes(create(graphql, as_="acme.de.legal")) == [("PERMISSION_DENIED", None)]
    edit = graphql(
        UPDATE, {"id": gid("Contact", person), "email": "z@y.de"}, bu="acme.de", as_="acme.de.legal"
    )
    assert codes(edit.data["contactUpdate"]) == [("PERMISSION_DENIED", None)]


def test_hq_directors_read_contacts_without_their_personal_data(world, graphql, settings, account):
    settings.REGION = "eu"
    person = bu_contact("acme.de", account, owner="acme.de.sales", job_title="CTO")
    reply = graphql(ONE, {"id": gid("Contact", person)}, bu="acme.de", as_="acme.director")
    assert reply.data["contact"] == {
        "lastName": None,
        "email": None,
        "jobTitle": "CTO",
        "buyingRole": None,
    }
    assert sorted(e["extensions"]["code"] for e in reply.errors) == ["FIELD_FORBIDDEN"] * 2
    # Searching names would reveal them: refused as a whole.
    search = graphql(LIST, {"filter": {"search": "Mül"}}, bu="acme.de", as_="acme.director")
    assert search.codes == ["FIELD_FORBIDDEN"]


def test_contacts_filter_by_account_search_role_and_consent(world, graphql, settings, account):
    settings.REGION = "eu"
    other = bu_account("acme.de", golden(world.acme_id, "K-OTH", "Anders KG"))
    a = bu_contact(
        "acme.de", account, last_name="Adler", buying_role="CHAMPION", consent_email=True
    )
    bu_contact("acme.de", account, last_name="Berg")
    bu_contact("acme.de", other, last_name="Adlung")

    def names(filter: dict[str, Any]) -> list[str]:
        reply = graphql(LIST, {"filter": filter}, bu="acme.de", as_="acme.de.sales")
        assert reply.errors == [], reply.errors
        return [e["node"]["lastName"] for e in reply.data["contacts"]["edges"]]

    assert names({"account": gid("Account", account)}) == ["Adler", "Berg"]
    assert names({"search": "adl"}) == ["Adler", "Adlung"]
    assert names({"buyingRole": ["CHAMPION"]}) == ["Adler"]
    assert names({"consentEmail": True, "account": gid("Account", account)}) == [a.last_name]
    bad = graphql(LIST, {"filter": {"account": "nope"}}, bu="acme.de", as_="acme.de.sales")
    assert bad.codes == ["MALFORMED_ID"]


def test_other_business_units_and_groups_see_nothing(world, graphql, settings, account):
    settings.REGION = "eu"
    person = bu_contact("acme.de", account, owner="acme.de.sales")
    contact_id = gid("Contact", person)
    settings.REGION = "ap"
    reply = graphql(ONE, {"id": contact_id}, bu="acme.jp", as_="acme.jp.sales")
    assert reply.codes == ["NOT_FOUND"]
    assert graphql(LIST, {}, bu="acme.jp", as_="acme.jp.sales").data["contacts"]["totalCount"] == 0
    settings.REGION = "cn"
    assert graphql(ONE, {"id": contact_id}, bu="rival.main").codes == ["NOT_FOUND"]
    edit = graphql(UPDATE, {"id": contact_id, "email": "x@y.de"}, bu="rival.main")
    assert codes(edit.data["contactUpdate"]) == [("NOT_FOUND", "id")]
