"""The default policy of the BU's sales work, role × stage × ownership, through the GraphQL API.

For leads, deals, contacts, activities, tasks and accounts (the records a BU works on every
day) every default role (held in the German BU, or at group level for HQ roles) is asked, for
a record in each stage that is owned by the tested user and for one owned by another person of
the BU (its manager), to read it (each governed field readable or hidden as `expected` in
`matrix.py` computes from the policy's data), to write a few representative fields, and to
delete contacts and activities and complete or cancel tasks. Each write runs in a savepoint
that is rolled back; a refused write changes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.permissions.defaults import DEFAULT_ROLES
from crm.platform.permissions.vocabulary import Action
from crm.tests.permissions.matrix import (
    PERMISSIONS,
    Expected,
    as_enum,
    expected,
    member,
    payload_of,
    rolled_back,
)

OTHER = "acme.de.manager"  # owns the records that are not the tested user's
SCHEMA = "bu_acme_de"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class SalesAdapter:
    object_type: str
    graphql_type: str
    root: str  # the query of one record by id
    # The policy's fields, with the GraphQL selection that reads each.
    readable: dict[str, str]
    # Fields the made record always has a value in: readable ones must not come back null.
    filled: tuple[str, ...]
    # Governed field -> (mutation, variables given the record's global id).
    writes: dict[str, tuple[str, Callable[[str], dict[str, Any]]]]
    make: Callable[[Any, str, str], Any]  # (world, stage, owner's user name) -> record
    stages: tuple[str, ...] = ("",)
    # Stages of a closed record: any write of a visible one is RECORD_CLOSED.
    closed: tuple[str, ...] = ()
    # What the query by id tells a caller who may view no record of the type at all: NOT_FOUND
    # as for a record out of reach, or PERMISSION_DENIED on the type (no record is revealed).
    # Mutations answer NOT_FOUND either way.
    type_refusal: str = "NOT_FOUND"
    # Actions on the whole record (delete, complete...): the action -> its mutation (by `id`).
    actions: tuple[tuple[str, str], ...] = ()

    @property
    def one(self) -> str:
        fields = " ".join(self.readable.values())
        return f"query($id: ID!) {{ {self.root}(id: $id) {{ id {fields} {PERMISSIONS} }} }}"


def _name(selection: str) -> str:
    return selection.split("(")[0].split()[0]


# -- leads ----------------------------------------------------------------------------------


def _lead(world: Any, stage: str, owner: str) -> Any:
    from crm.tests.leads.helpers import make_lead

    with schema_context(SCHEMA):
        return make_lead(
            owner=owner,
            status=stage,
            first_name="Erika",
            phone="+49 89 1234567",
            message="Please call me",
            country="DE",
        )


UPDATE_LEAD = """mutation($id: ID!, $lead: LeadInput!) {
  leadUpdate(id: $id, lead: $lead) { errors { field code message } lead { id } } }"""

LEAD = SalesAdapter(
    object_type="lead",
    graphql_type="Lead",
    root="lead",
    readable={
        "first_name": "firstName",
        "last_name": "lastName",
        "email": "email",
        "phone": "phone",
        "message": "message",
        "company_name": "companyName",
        "country": "country",
        "region": "region",
        "industry": "industry",
        "products": "products { id }",
        "product_line": "productLine",
        "source": "source { code }",
        "campaign": "campaign { code }",
        "tags": "tags",
        "status": "status",
        "invalid_reason": "invalidReason",
        "invalid_note": "invalidNote",
        "overdue": "overdue",
        "owner": "owner { username }",
        "duplicates": "duplicates { id }",
        "custom_fields": "customFields { code }",
        "assignments": "assignments { reason }",
    },
    filled=("first_name", "last_name", "email", "company_name", "status", "owner", "source"),
    writes={
        "company_name": (UPDATE_LEAD, lambda i: {"id": i, "lead": {"companyName": "Renamed"}}),
        "first_name": (UPDATE_LEAD, lambda i: {"id": i, "lead": {"firstName": "Max"}}),
        "message": (UPDATE_LEAD, lambda i: {"id": i, "lead": {"message": "Changed"}}),
    },
    make=_lead,
    stages=("NEW", "CONTACTED", "QUALIFIED", "INVALID", "CONVERTED"),
    closed=("INVALID", "CONVERTED"),
    type_refusal="PERMISSION_DENIED",
)

# -- deals ----------------------------------------------------------------------------------


def _deal(world: Any, stage: str, owner: str) -> Any:
    from crm.tenants.opportunities.models import Opportunity
    from crm.tests.leads.helpers import user_id
    from crm.tests.opportunities.helpers import make_deal

    deal = make_deal(stage=stage)  # made by acme.de.sales, then given to its owner
    with schema_context(SCHEMA):
        Opportunity.objects.filter(pk=deal.pk).update(owner_id=user_id(owner))
        return Opportunity.objects.get(pk=deal.pk)


UPDATE_DEAL = """mutation($id: ID!, $name: String, $amount: Decimal, $close: Date) {
  opportunityUpdate(id: $id, name: $name, amount: $amount, expectedClose: $close) {
    errors { field code message } opportunity { id } } }"""

OPPORTUNITY = SalesAdapter(
    object_type="opportunity",
    graphql_type="Opportunity",
    root="opportunity",
    readable={
        "name": "name",
        "account": "account { id }",
        "primary_contact": "primaryContact",
        "pipeline": "pipeline { id }",
        "stage": "stage { code }",
        "status": "status",
        "owner": "owner { username }",
        "deal_class": "dealClass",
        "grade": "grade",
        "amount": "amount { amount currency }",
        "amount_bu": "amountBu { amount }",
        "amount_group": "amountGroup { amount }",
        "expected_close": "expectedClose",
        "closed_on": "closedOn",
        "close_reason": "closeReason { code }",
        "close_note": "closeNote",
        "score": "score",
        "probability": "probability",
        "scorecard": "scorecard { rating }",
        "products": "products { quantity }",
        "team": "team { role }",
        "events": "events { kind }",
        "custom_fields": "customFields { code }",
    },
    filled=("name", "account", "pipeline", "stage", "status", "owner", "amount", "probability"),
    writes={
        "name": (UPDATE_DEAL, lambda i: {"id": i, "name": "Renamed deal"}),
        "amount": (UPDATE_DEAL, lambda i: {"id": i, "amount": "2500.00"}),
    },
    make=_deal,
    stages=("qualification", "needs_analysis", "solution", "quote", "negotiation", "won", "lost"),
    closed=("won", "lost"),
)

# -- contacts, activities, tasks ------------------------------------------------------------


def _contact(world: Any, stage: str, owner: str) -> Any:
    from crm.tests.relationships.helpers import bu_contact

    return bu_contact(
        "acme.de",
        owner=owner,
        first_name="Erika",
        email="erika@example.com",
        phone="+49 89 7654321",
        job_title="Einkauf",
    )


UPDATE_CONTACT = """mutation($id: ID!, $last: String, $email: String, $title: String) {
  contactUpdate(id: $id, lastName: $last, email: $email, jobTitle: $title) {
    errors { field code message } contact { id } } }"""

CONTACT = SalesAdapter(
    object_type="contact",
    graphql_type="Contact",
    root="contact",
    readable={
        "first_name": "firstName",
        "last_name": "lastName",
        "first_name_latin": "firstNameLatin",
        "last_name_latin": "lastNameLatin",
        "email": "email",
        "phone": "phone",
        "mobile": "mobile",
        "account": "account { id }",
        "job_title": "jobTitle",
        "buying_role": "buyingRole",
        "language": "language",
        "consent_email": "consentEmail",
        "consent_phone": "consentPhone",
        "owner": "owner { id }",
        "custom_fields": "customFields { code }",
    },
    filled=("first_name", "last_name", "email", "phone", "job_title"),
    writes={
        "last_name": (UPDATE_CONTACT, lambda i: {"id": i, "last": "Schmidt"}),
        "email": (UPDATE_CONTACT, lambda i: {"id": i, "email": "schmidt@example.com"}),
        "job_title": (UPDATE_CONTACT, lambda i: {"id": i, "title": "CFO"}),
    },
    make=_contact,
    actions=((Action.DELETE, "mutation($id: ID!) { contactDelete(id: $id) { errors { code } } }"),),
)


def _activity(world: Any, stage: str, owner: str) -> Any:
    from crm.tests.relationships.helpers import bu_activity

    return bu_activity("acme.de", owner=owner, subject="Call", body="Budget is approved")


UPDATE_ACTIVITY = """mutation($id: ID!, $subject: String, $body: String) {
  activityUpdate(id: $id, subject: $subject, body: $body) {
    errors { field code message } activity { id } } }"""

ACTIVITY = SalesAdapter(
    object_type="activity",
    graphql_type="Activity",
    root="activity",
    readable={
        "kind": "kind",
        "subject": "subject",
        "body": "body",
        "occurred_at": "occurredAt",
        "owner": "owner { id }",
        "account": "account { id }",
        "contact": "contact { id }",
        "lead": "lead",
        "opportunity": "opportunity",
    },
    filled=("kind", "subject", "body", "occurred_at"),
    writes={
        "subject": (UPDATE_ACTIVITY, lambda i: {"id": i, "subject": "Visit"}),
        "body": (UPDATE_ACTIVITY, lambda i: {"id": i, "body": "Budget is on hold"}),
    },
    make=_activity,
    actions=(
        (Action.DELETE, "mutation($id: ID!) { activityDelete(id: $id) { errors { code } } }"),
    ),
)


def _task(world: Any, stage: str, owner: str) -> Any:
    from crm.tests.relationships.helpers import bu_task

    return bu_task("acme.de", owner=owner, status=stage, description="Send the offer")


UPDATE_TASK = """mutation($id: ID!, $title: String, $description: String) {
  taskUpdate(id: $id, title: $title, description: $description) {
    errors { field code message } task { id } } }"""

TASK = SalesAdapter(
    object_type="task",
    graphql_type="Task",
    root="task",
    readable={
        "title": "title",
        "description": "description",
        "due_at": "dueAt",
        "remind_at": "remindAt",
        "status": "status",
        "owner": "owner { id }",
        "account": "account { id }",
        "contact": "contact { id }",
        "lead": "lead",
        "opportunity": "opportunity",
    },
    filled=("title", "description", "due_at", "status"),
    writes={
        "title": (UPDATE_TASK, lambda i: {"id": i, "title": "Call back"}),
        "description": (UPDATE_TASK, lambda i: {"id": i, "description": "Ask for the budget"}),
    },
    make=_task,
    actions=(
        (Action.ADVANCE, "mutation($id: ID!) { taskComplete(id: $id) { errors { code } } }"),
        (Action.RETREAT, "mutation($id: ID!) { taskCancel(id: $id) { errors { code } } }"),
    ),
    stages=("OPEN", "DONE", "CANCELLED"),
    closed=("DONE", "CANCELLED"),
)

# -- accounts -------------------------------------------------------------------------------


def _account(world: Any, stage: str, owner: str) -> Any:
    from crm.tests.relationships.helpers import bu_account, golden

    customer = golden(world.acme_id, f"MXA-{next(_numbers)}", "Matrix Kunde GmbH")
    return bu_account(
        "acme.de", customer, owner=owner, local_name="Matrix Kunde", notes="Key account"
    )


UPDATE_ACCOUNT = """mutation($id: ID!, $name: String, $notes: String) {
  accountUpdate(id: $id, localName: $name, notes: $notes) {
    errors { field code message } account { id } } }"""

ACCOUNT = SalesAdapter(
    object_type="local_customer",
    graphql_type="Account",
    root="account",
    readable={
        "local_code": "localCode",
        "local_name": "localName",
        "payment_terms": "paymentTerms",
        "sales_owner": "salesOwner { id }",
        "former_codes": "formerCodes",
        "classification": "classification",
        "notes": "notes",
        "last_follow_up_at": "lastFollowUpAt",
        "customer": "customer { id }",
        "contacts": "contacts(first: 2) { id }",
        "activities": "activities(first: 2) { id }",
        "open_opportunities": "openOpportunities(first: 2) { id }",
        "closed_opportunities": "closedOpportunities(first: 2) { id }",
        "tasks": "tasks(first: 2) { id }",
        "custom_fields": "customFields { code }",
    },
    filled=("local_code", "local_name", "notes"),
    writes={
        "local_name": (UPDATE_ACCOUNT, lambda i: {"id": i, "name": "Renamed Kunde"}),
        "notes": (UPDATE_ACCOUNT, lambda i: {"id": i, "notes": "Lost the tender"}),
    },
    make=_account,
)

SALES_ADAPTERS = (LEAD, OPPORTUNITY, CONTACT, ACTIVITY, TASK, ACCOUNT)

CASES = [
    pytest.param(
        adapter,
        role,
        stage,
        owned,
        id=f"{adapter.object_type}-{role}-{stage or 'any'}-{'own' if owned else 'other'}",
    )
    for adapter in SALES_ADAPTERS
    for role in DEFAULT_ROLES
    for stage in adapter.stages
    for owned in (True, False)
]


def refusal(adapter: SalesAdapter, role: str) -> str:
    """The code for a record the caller may not view (on a record of nobody's, as by type)."""
    on_type = expected(adapter.object_type, (), role, "", on_type=True)
    views_some = on_type.actions or any(
        expected(adapter.object_type, (), role, stage, on_type=True).actions
        for stage in adapter.stages
    )
    return adapter.type_refusal if not views_some else "NOT_FOUND"


def check_reads(adapter: SalesAdapter, reply: Any, want: Expected, refused: str) -> None:
    node = reply.data[adapter.root]
    if Action.VIEW not in want.actions:
        assert node is None
        assert reply.codes == [refused]
        return
    assert set(reply.codes) <= {"FIELD_FORBIDDEN"}, reply.errors
    forbidden = {
        error["path"][-1]
        for error in reply.errors
        if error["extensions"]["code"] == "FIELD_FORBIDDEN" and len(error["path"]) == 2
    }
    for field, selection in adapter.readable.items():
        name = _name(selection)
        if want.mode(field) == "hidden":
            assert node[name] is None, field
            assert name in forbidden, field
        else:
            assert name not in forbidden, field
            if field in adapter.filled:
                assert node[name] is not None, field
    assert as_enum(node["permissions"]["actions"]) == as_enum(want.actions)
    modes = {f["name"]: f["mode"] for f in node["permissions"]["fields"]}
    assert modes == {field: mode.upper() for field, mode in want.modes.items()}


def check_write(
    adapter: SalesAdapter,
    ask: Any,
    gid: str,
    record: Any,
    stage: str,
    field: str,
    want: Expected,
) -> None:
    document, variables = adapter.writes[field]
    model = type(record)
    with schema_context(SCHEMA):
        before = model_to_dict(model.objects.get(pk=record.pk))
    with rolled_back():
        errors = [
            (e["code"], e["field"]) for e in payload_of(ask(document, variables(gid)))["errors"]
        ]
        if Action.VIEW not in want.actions:
            assert errors == [("NOT_FOUND", "id")], field
        elif stage in adapter.closed:
            assert [code for code, _field in errors] == ["RECORD_CLOSED"], field
        elif want.may_write(field):
            assert errors == [], field
        elif Action.EDIT not in want.actions:
            assert errors == [("PERMISSION_DENIED", None)], field
        else:
            assert errors == [("PERMISSION_DENIED", field)], field
        if errors:  # refused: nothing changed
            with schema_context(SCHEMA):
                assert model_to_dict(model.objects.get(pk=record.pk)) == before, field


def check_action(
    adapter: SalesAdapter, ask: Any, gid: str, record: Any, stage: str, action: str, want: Expected
) -> None:
    """Deleting a record, completing or cancelling a task: allowed, or refused with nothing
    changed."""
    document = dict(adapter.actions)[action]
    model = type(record)
    with schema_context(SCHEMA):
        before = model_to_dict(model.objects.get(pk=record.pk))
    with rolled_back():
        codes = [e["code"] for e in payload_of(ask(document, {"id": gid}))["errors"]]
        if Action.VIEW not in want.actions:
            assert codes == ["NOT_FOUND"], action
        elif stage in adapter.closed:
            assert codes == ["RECORD_CLOSED"], action
        elif action not in want.actions:
            assert codes == ["PERMISSION_DENIED"], action
        else:
            assert codes == [], action
        with schema_context(SCHEMA):
            after = model.objects.filter(pk=record.pk).first()
            if codes:
                assert after is not None
                assert model_to_dict(after) == before, action
            elif action == Action.DELETE:
                assert after is None
            else:
                assert after is not None
                assert after.status == ("DONE" if action == Action.ADVANCE else "CANCELLED")


@pytest.mark.parametrize(("adapter", "role", "stage", "owned"), CASES)
def test_sales_policy_through_the_api(world, graphql, settings, adapter, role, stage, owned):
    settings.REGION = "eu"
    username = member(role)
    record = adapter.make(world, stage, username if owned else OTHER)
    gid = to_global_id(adapter.graphql_type, record.pk)
    want = expected(adapter.object_type, tuple(adapter.readable), role, stage, owned=owned)

    def ask(query: str, variables: dict[str, Any] | None = None) -> Any:
        return graphql(query, variables, bu="acme.de", as_=username)

    refused = refusal(adapter, role)
    check_reads(adapter, ask(adapter.one, {"id": gid}), want, refused)
    for field in adapter.writes:
        check_write(adapter, ask, gid, record, stage, field, want)
    for action, _document in adapter.actions:
        check_action(adapter, ask, gid, record, stage, action, want)


def test_the_oracle_tells_own_records_from_others():
    """The own scope reaches the owner's records only; master data keeps its old answers."""
    own = expected("lead", ("first_name",), "front_sales", "NEW", owned=True)
    other = expected("lead", ("first_name",), "front_sales", "NEW", owned=False)
    assert Action.EDIT in own.actions
    assert own.mode("first_name") == "write"
    assert other.actions == frozenset()
    assert other.mode("first_name") == "hidden"
    contact = expected("contact", ("email",), "back_support", "", owned=False)
    assert contact.actions == frozenset({Action.VIEW, Action.CREATE})
    assert contact.mode("email") == "read"
    assert expected("material", ("name",), "front_sales", "ACTIVE") == expected(
        "material", ("name",), "front_sales", "ACTIVE", owned=None
    )
