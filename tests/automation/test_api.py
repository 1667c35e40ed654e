"""Automation through GraphQL: keeping rules (typed refusals naming the bad part), reading
one's notifications, external events (once per external id), and isolation between BUs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.tenants.automation.models import Firing, Notification, Rule
from crm.tests.automation.helpers import access, deal, lead, user
from crm.tests.fixtures.ids import bu_gid

pytestmark = pytest.mark.django_db

CREATE = """
mutation($code: String!, $recordType: AutomationRecordType!, $trigger: AutomationTrigger!,
         $parameters: TriggerParametersInput, $conditions: [ConditionInput!],
         $actions: [JSONString!]!, $active: Boolean) {
  automationRuleCreate(code: $code, names: [{language: "en", text: "Big leads"},
                                            {language: "de", text: "Große Leads"}],
                       recordType: $recordType, trigger: $trigger, parameters: $parameters,
                       conditions: $conditions, actions: $actions, active: $active) {
    errors { field code message }
    rule { id code name active recordType trigger
           parameters { since hours from to events } conditions { field op value } actions }
  }
}
"""
RULES = """
query($filter: AutomationRuleFilter) {
  automationRules(first: 50, filter: $filter) {
    totalCount
    edges { node { id code name defaultCode active firings(last: 5) { occurrence outcome
            record { type id } } } }
  }
}
"""


@pytest.fixture
def eu(settings: Any) -> None:
    settings.REGION = "eu"


def create(graphql: Any, as_: str = "acme.de.manager", **variables: Any) -> Any:
    values: dict[str, Any] = {
        "code": "big-leads",
        "recordType": "LEAD",
        "trigger": "CREATED",
        "actions": [json.dumps({"type": "SET_FIELD", "field": "tags", "value": "big"})],
    }
    values.update(variables)
    return graphql(CREATE, values, bu="acme.de", as_=as_).data["automationRuleCreate"]


def refusal(graphql: Any, **variables: Any) -> tuple[str, str]:
    result = create(graphql, **variables)
    assert result["rule"] is None
    error = result["errors"][0]
    return error["code"], error["field"]


def test_a_manager_creates_a_rule_read_back_typed(world, graphql, eu):
    result = create(
        graphql,
        trigger="TIME_ELAPSED",
        parameters={"since": "created_at", "hours": 24},
        conditions=[
            {"field": "status", "op": "EQ", "value": json.dumps("NEW")},
            {"field": "first_contacted_at", "op": "EMPTY"},
        ],
    )
    assert result["errors"] == []
    rule = result["rule"]
    assert rule["code"] == "big-leads"
    assert rule["name"] == "Große Leads"
    assert rule["active"]
    assert rule["parameters"]["since"] == "created_at"
    assert rule["parameters"]["hours"] == 24
    assert rule["conditions"][0] == {"field": "status", "op": "EQ", "value": '"NEW"'}
    assert json.loads(rule["actions"][0])["type"] == "SET_FIELD"
    names = graphql(RULES, bu="acme.de", as_="acme.de.manager", language="en")
    codes = {edge["node"]["code"]: edge["node"] for edge in names.data["automationRules"]["edges"]}
    assert codes["big-leads"]["name"] == "Big leads"
    # The defaults were installed with the BU, once each.
    defaults = sorted(node["defaultCode"] for node in codes.values() if node["defaultCode"])
    assert defaults == [
        "account-no-follow-up-7d",
        "contract-signed",
        "deal-quote-to-negotiation",
        "engagement-account",
        "engagement-contact",
        "engagement-opportunity",
        "lead-not-contacted-24h",
    ]
    assert codes["contract-signed"]["active"] is True  # contracts exist (#7)


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"parameters": {"field": "status"}}, ("INVALID_ARGUMENT", "parameters.field")),
        (
            {"trigger": "TIME_ELAPSED", "parameters": {"since": "birthday", "hours": 2}},
            ("INVALID_ARGUMENT", "parameters.since"),
        ),
        (
            {"trigger": "TIME_ELAPSED", "parameters": {"since": "created_at", "hours": -1}},
            ("INVALID_ARGUMENT", "parameters.hours"),
        ),
        (
            {"conditions": [{"field": "salary", "op": "EQ", "value": "1"}]},
            ("INVALID_ARGUMENT", "conditions[0]"),
        ),
        (
            {"conditions": [{"field": "overdue", "op": "EQ", "value": '"yes"'}]},
            ("INVALID_ARGUMENT", "conditions[0].value"),
        ),
        ({"actions": [json.dumps({"type": "EXPLODE"})]}, ("INVALID_ARGUMENT", "actions[0].type")),
        (
            {
                "actions": [
                    json.dumps({"type": "SET_FIELD", "field": "overdue", "value": True}),
                    json.dumps({"type": "WEBHOOK", "url": "http://example.com/hook"}),
                ]
            },
            ("INVALID_ARGUMENT", "actions[1].url"),
        ),
        (
            {"actions": [json.dumps({"type": "WEBHOOK", "url": "https://10.0.0.8/hook"})]},
            ("INVALID_ARGUMENT", "actions[0].url"),
        ),
        (
            {"actions": [json.dumps({"type": "SET_FIELD", "field": "email", "value": "x"})]},
            ("INVALID_ARGUMENT", "actions[0].field"),
        ),
        (
            {"actions": [json.dumps({"type": "NOTIFY", "to": {"roles": ["pope"]}})]},
            ("INVALID_ARGUMENT", "actions[0].to.roles[0]"),
        ),
        (
            {"actions": [json.dumps({"type": "NOTIFY", "to": {"owner": True}, "subject": "{x}"})]},
            ("INVALID_ARGUMENT", "actions[0].subject"),
        ),
        (
            {
                "actions": [
                    json.dumps(
                        {"type": "CREATE_TASK", "title": "x", "due_in_hours": 1, "owner": 999999}
                    )
                ]
            },
            ("INVALID_ARGUMENT", "actions[0].owner"),
        ),
        (
            {"actions": [json.dumps({"type": "CREATE_PAYMENT_PLAN"})]},
            ("INVALID_ARGUMENT", "actions[0].type"),
        ),
        (
            {
                "recordType": "CONTRACT",
                "actions": [json.dumps({"type": "SET_FIELD", "field": "status", "value": "x"})],
            },
            ("INVALID_ARGUMENT", "actions[0].field"),
        ),
        ({"code": "lead-not-contacted-24h"}, ("ALREADY_EXISTS", "code")),
        ({"code": "Not A Code!"}, ("INVALID_ARGUMENT", "code")),
    ],
)
def test_bad_rules_are_refused_naming_the_part_and_nothing_is_saved(
    world, graphql, eu, variables, expected
):
    with schema_context("bu_acme_de"):
        before = Rule.objects.count()
    assert refusal(graphql, **variables) == expected
    with schema_context("bu_acme_de"):
        assert Rule.objects.count() == before


def test_only_managers_keep_rules(world, graphql, eu):
    assert refusal(graphql, as_="acme.de.sales") == (
        "PERMISSION_DENIED",
        None,
    )


def test_update_set_active_and_delete(world, graphql, eu):
    rule_id = create(graphql)["rule"]["id"]
    update = graphql(
        """mutation($id: ID!, $actions: [JSONString!]) { automationRuleUpdate(id: $id,
           actions: $actions) { errors { code field } rule { id } } }""",
        {"id": rule_id, "actions": [json.dumps({"type": "WEBHOOK", "url": "ftp://x"})]},
        bu="acme.de",
        as_="acme.de.manager",
    ).data["automationRuleUpdate"]
    assert update["errors"] == [{"code": "INVALID_ARGUMENT", "field": "actions[0].url"}]
    off = graphql(
        "mutation($id: ID!) { automationRuleSetActive(id: $id, active: false) { errors { code } "
        "rule { active } } }",
        {"id": rule_id},
        bu="acme.de",
        as_="acme.de.manager",
    ).data["automationRuleSetActive"]
    assert off == {"errors": [], "rule": {"active": False}}
    with schema_context("bu_acme_de"):
        contract = Rule.objects.get(default_code="contract-signed")
    on = graphql(
        "mutation($id: ID!) { automationRuleSetActive(id: $id, active: true) "
        "{ errors { code field } } }",
        {"id": to_global_id("AutomationRule", contract.pk)},
        bu="acme.de",
        as_="acme.de.manager",
    ).data["automationRuleSetActive"]
    assert on["errors"] == []  # contract rules can be active since contracts exist (#7)
    gone = graphql(
        "mutation($id: ID!) { automationRuleDelete(id: $id) { errors { code } deletedId } }",
        {"id": rule_id},
        bu="acme.de",
        as_="acme.de.manager",
    ).data["automationRuleDelete"]
    assert gone == {"errors": [], "deletedId": rule_id}
    with schema_context("bu_acme_de"):
        assert not Rule.objects.filter(code="big-leads").exists()


def test_rules_of_another_bu_or_group_are_invisible(world, graphql, eu, settings):
    rule_id = create(graphql)["rule"]["id"]
    settings.REGION = "ap"
    jp = graphql(RULES, bu="acme.jp", as_="acme.jp.sales").data["automationRules"]
    assert "big-leads" not in {edge["node"]["code"] for edge in jp["edges"]}
    one = graphql(
        "query($id: ID!) { automationRule(id: $id) { code } }",
        {"id": rule_id},
        bu="acme.jp",
        as_="acme.jp.sales",
    )
    assert one.codes == ["NOT_FOUND"]
    settings.REGION = "cn"
    rival = graphql(RULES, bu="rival.main", as_="rival.admin")
    assert "big-leads" not in json.dumps(rival.body)
    node = graphql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": rule_id},
        bu="acme.jp",
        as_="acme.jp.sales",
    )
    assert node.data in ({"node": None}, None)


NOTIFICATIONS = """
query($unread: Boolean) { notifications(first: 10, unreadOnly: $unread) {
  totalCount edges { node { id subject readAt record { type id } ruleCode } } } }
"""
MARK = """
mutation($ids: [ID!]!) { notificationMarkRead(ids: $ids) { errors { code field }
  notifications { id readAt } } }
"""


def test_notifications_are_their_recipients_own(world, graphql, eu, settings):
    from crm.tenants.automation import events

    with schema_context("bu_acme_de"):
        opportunity = deal(user("acme.de.sales"))
        events.stage_changed(
            access("acme.de.sales"),
            "opportunity",
            opportunity,
            "quote",
            "negotiation",
            occurrence="t1",
        )
        legal = Notification.objects.get(recipient__username="acme.de.legal")
    mine = graphql(NOTIFICATIONS, bu="acme.de", as_="acme.de.legal").data["notifications"]
    assert mine["totalCount"] == 1
    with schema_context("bu_acme_de"):
        rule_id = to_global_id(
            "AutomationRule", Rule.objects.get(default_code="deal-quote-to-negotiation").pk
        )
    firings = graphql(
        "query($id: ID!) { automationRule(id: $id) { firings(last: 3) { occurrence "
        "record { type id } outcome } } }",
        {"id": rule_id},
        bu="acme.de",
        as_="acme.de.manager",
    ).data["automationRule"]["firings"]
    assert [f["occurrence"] for f in firings] == ["stage:quote>negotiation@t1"]
    assert firings[0]["record"]["id"] == bu_gid("Opportunity", opportunity)
    assert len(json.loads(firings[0]["outcome"])["actions"][0]["notifications"]) == 2
    node = mine["edges"][0]["node"]
    assert node["ruleCode"] == "deal-quote-to-negotiation"
    assert node["record"] == {
        "type": "OPPORTUNITY",
        "id": bu_gid("Opportunity", opportunity),
    }
    assert (
        graphql(NOTIFICATIONS, bu="acme.de", as_="acme.de.sales").data["notifications"][
            "totalCount"
        ]
        == 0
    )
    theirs = graphql(MARK, {"ids": [node["id"]]}, bu="acme.de", as_="acme.de.sales").data
    assert theirs["notificationMarkRead"]["errors"] == [{"code": "NOT_FOUND", "field": "ids"}]
    read = graphql(MARK, {"ids": [node["id"]]}, bu="acme.de", as_="acme.de.legal").data
    assert read["notificationMarkRead"]["errors"] == []
    assert read["notificationMarkRead"]["notifications"][0]["readAt"]
    unread = graphql(NOTIFICATIONS, {"unread": True}, bu="acme.de", as_="acme.de.legal")
    assert unread.data["notifications"]["totalCount"] == 0
    settings.REGION = "ap"
    jp = graphql(NOTIFICATIONS, bu="acme.jp", as_="acme.jp.sales").data["notifications"]
    assert jp["totalCount"] == 0
    del legal


EXTERNAL = """
mutation($kind: ExternalEventKind!, $type: AutomationRecordType!, $id: ID!, $ext: String!) {
  externalEventRecord(kind: $kind, recordType: $type, recordId: $id, externalId: $ext,
                      occurredAt: "2026-03-02T10:00:00+00:00", details: "{\\"url\\": \\"q\\"}") {
    errors { code field } created event { kind externalId recordId } } }
"""


def integration_token(graphql: Any) -> str:
    from crm.platform.accounts.services import api_key_create

    token, _key = api_key_create(
        access=access("acme.admin", "hq"),
        name="Mail tracker",
        role="integration",
        business_unit="de",
    )
    return token


def test_an_opened_quote_email_is_logged_once_and_the_owner_told(world, graphql, eu):
    from crm.tenants.contacts.models import Activity

    with schema_context("bu_acme_de"):
        opportunity = deal(user("acme.de.sales"))
    token = integration_token(graphql)
    variables = {
        "kind": "EMAIL_OPENED",
        "type": "OPPORTUNITY",
        "id": bu_gid("Opportunity", opportunity),
        "ext": "mailer-42",
    }
    first = graphql(EXTERNAL, variables, bu="acme.de", token=token).data["externalEventRecord"]
    assert first["errors"] == []
    assert first["created"] is True
    assert first["event"]["externalId"] == "mailer-42"
    again = graphql(EXTERNAL, variables, bu="acme.de", token=token).data["externalEventRecord"]
    assert again["errors"] == []
    assert again["created"] is False
    with schema_context("bu_acme_de"):
        activity = Activity.objects.get(opportunity=opportunity)
        assert activity.kind == "ENGAGEMENT"
        assert activity.account_id == opportunity.account_id
        assert activity.owner_id == user("acme.de.sales").pk
        assert Notification.objects.filter(recipient__username="acme.de.sales").count() == 1
        assert Firing.objects.filter(occurrence="external:mailer-42").count() == 1
    clash = graphql(EXTERNAL, {**variables, "kind": "LINK_CLICKED"}, bu="acme.de", token=token)
    assert clash.data["externalEventRecord"]["errors"] == [
        {"code": "IDEMPOTENCY_CONFLICT", "field": "externalId"}
    ]


def test_external_events_are_refused_typed(world, graphql, eu):
    with schema_context("bu_acme_de"):
        record = lead()
    lead_id = to_global_id("Lead", record.pk)
    base = {"kind": "LINK_CLICKED", "type": "LEAD", "id": lead_id, "ext": "x-1"}
    sales = graphql(EXTERNAL, base, bu="acme.de", as_="acme.de.sales").data["externalEventRecord"]
    assert sales["errors"] == [{"code": "PERMISSION_DENIED", "field": None}]
    manager = "acme.de.manager"
    bad_id = graphql(
        EXTERNAL, {**base, "id": to_global_id("Contact", 1)}, bu="acme.de", as_=manager
    )
    assert bad_id.data["externalEventRecord"]["errors"] == [
        {"code": "MALFORMED_ID", "field": "recordId"}
    ]
    missing = graphql(
        EXTERNAL, {**base, "id": to_global_id("Lead", 99999999)}, bu="acme.de", as_=manager
    )
    assert missing.data["externalEventRecord"]["errors"] == [
        {"code": "NOT_FOUND", "field": "recordId"}
    ]
    with schema_context("bu_acme_de"):
        from crm.tenants.automation.models import ExternalEvent

        assert not ExternalEvent.objects.exists()
    ok = graphql(EXTERNAL, base, bu="acme.de", as_=manager).data["externalEventRecord"]
    assert ok["errors"] == []
    assert ok["created"] is True


def test_the_webhook_secret_is_for_rule_keepers(world, graphql, eu):
    query = "{ automationWebhookSecret }"
    assert (
        len(graphql(query, bu="acme.de", as_="acme.de.manager").data["automationWebhookSecret"])
        == 64
    )
    assert graphql(query, bu="acme.de", as_="acme.de.sales").codes == ["PERMISSION_DENIED"]


def test_the_rule_list_with_firings_costs_the_same_sql_for_more_rules(world, graphql, eu):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements() -> int:
        with CaptureQueriesContext(connection) as queries:
            reply = graphql(RULES, bu="acme.de", as_="acme.de.manager")
        assert reply.errors == []
        return len(queries)

    with schema_context("bu_acme_de"):
        record = lead()
        for n in range(2):
            made = Rule.objects.create(
                code=f"sql-{n}", name="x", record_type="lead", trigger="CREATED"
            )
            Firing.objects.create(
                rule=made, record_type="lead", record_id=record.pk, occurrence="x"
            )
    statements()  # the first request issues the token and records its use
    few = statements()
    with schema_context("bu_acme_de"):
        for n in range(2, 8):
            made = Rule.objects.create(
                code=f"sql-{n}", name="x", record_type="lead", trigger="CREATED"
            )
            Firing.objects.create(
                rule=made, record_type="lead", record_id=record.pk, occurrence="x"
            )
    assert statements() == few
