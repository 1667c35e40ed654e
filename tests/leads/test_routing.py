"""Tag and assignment rules as data: applied at capture, kept through the API, validated."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.tests.leads.helpers import (
    access_of,
    assignment_rule,
    capture,
    codes,
    lead_source,
    make_lead,
    payload,
    tag_rule,
    team,
    user_id,
)

DE = "bu_acme_de"


@pytest.fixture
def de(world, settings):
    settings.REGION = "eu"
    lead_source("WEBSITE")
    return world


def owner_names(leads: list) -> list[str | None]:
    from crm.platform.accounts.models import User

    names = dict(User.objects.values_list("pk", "username"))
    return [names.get(lead.owner_id) for lead in leads]


def test_round_robin_cycles_through_the_teams_active_members(de):
    from crm.platform.accounts.models import Membership, Role, User
    from crm.tenants.models import BusinessUnit

    # A third member who is not in the BU (acme.jp.sales) is never given a lead.
    de_unit = BusinessUnit.objects.get(group__code="acme", code="de")
    helper = User.objects.create_user(username="acme.de.helper", password="pw", group_id=de.acme_id)
    Membership.objects.create(
        group_id=de.acme_id,
        user=helper,
        role=Role.objects.get(group_id=de.acme_id, code="front_sales"),
        business_unit=de_unit,
    )
    with schema_context(DE):
        dach = team("DACH", ["acme.de.sales", "acme.de.helper", "acme.jp.sales"])
        assignment_rule(
            "DACH", "ROUND_ROBIN", [{"field": "country", "op": "eq", "value": "DE"}], team=dach
        )
        api = access_of("acme.de.manager")
        leads = [capture(api, email=f"rr{i}@x.example", country="DE") for i in range(5)]
        assert owner_names(leads) == ["acme.de.sales", "acme.de.helper"] * 2 + ["acme.de.sales"]
        # An inactive member is skipped.
        helper.is_active = False
        helper.save()
        more = [capture(api, email=f"rr-more{i}@x.example", country="DE") for i in range(2)]
        assert owner_names(more) == ["acme.de.sales", "acme.de.sales"]


def test_least_loaded_picks_the_emptiest_member(de):
    with schema_context(DE):
        pair = team("Pair", ["acme.de.sales", "acme.de.manager"])
        for _ in range(3):
            make_lead(owner="acme.de.sales")
        make_lead(owner="acme.de.manager")
        make_lead(owner="acme.de.manager", status="CONVERTED")  # closed: not counted
        assignment_rule("Load", "LEAST_LOADED", team=pair)
        api = access_of("acme.de.manager")
        first = capture(api, email="ll1@x.example")
        second = capture(api, email="ll2@x.example")
        assert owner_names([first, second]) == ["acme.de.manager", "acme.de.manager"]
        third = capture(api, email="ll3@x.example")
        # 3 each now: ties go to the lower user id
        expected = min(user_id("acme.de.sales"), user_id("acme.de.manager"))
        assert third.owner_id == expected


def test_first_matching_rule_by_position_wins(de):
    from crm.tenants.leads.models import LeadAssignment

    with schema_context(DE):
        assignment_rule(
            "Japan",
            "USER",
            [{"field": "country", "op": "eq", "value": "JP"}],
            user="acme.de.manager",
            position=1,
        )
        assignment_rule(
            "Autos",
            "USER",
            [{"field": "industry", "op": "eq", "value": "AUTO"}],
            user="acme.de.sales",
            position=2,
        )
        assignment_rule("Everything", "USER", user="acme.de.manager", position=3)
        api = access_of("acme.de.manager")
        auto = capture(api, email="a@x.example", industry="AUTO", country="DE")
        other = capture(api, email="b@x.example", country="FR")
        assert owner_names([auto, other]) == ["acme.de.sales", "acme.de.manager"]
        record = LeadAssignment.objects.get(lead=auto)
        assert record.rule is not None
        assert record.rule.name == "Autos"
        assert record.by_user_id == user_id("acme.de.manager")


def test_a_rule_to_a_user_who_left_the_bu_is_skipped(de):
    from crm.platform.accounts.models import Membership

    with schema_context(DE):
        assignment_rule("Legal?", "USER", user="acme.de.legal", position=1)
        assignment_rule("Fallback", "USER", user="acme.de.sales", position=2)
        Membership.objects.filter(user__username="acme.de.legal").delete()
        lead = capture(access_of("acme.de.manager"), email="c@x.example")
        assert owner_names([lead]) == ["acme.de.sales"]


def test_tags_by_rules_with_every_operator(de):
    with schema_context(DE):
        tag_rule("big", [{"field": "custom.size", "op": "gte", "value": 100}])
        tag_rule("no-phone", [{"field": "phone", "op": "empty"}])
        tag_rule("gmbh", [{"field": "company_name", "op": "contains", "value": "gmbh"}])
        tag_rule("not-de", [{"field": "country", "op": "neq", "value": "DE"}])
        tag_rule("web", [{"field": "source", "op": "eq", "value": "WEBSITE"}])
        tag_rule("off", [], position=9)
        from crm.tenants.leads.models import TagRule

        TagRule.objects.filter(tag="off").update(active=False)
        lead = capture(
            access_of("acme.de.manager"),
            email="t@x.example",
            company_name="Muster GmbH",
            country="AT",
        )
        assert lead.tags == ["no-phone", "gmbh", "not-de", "web"]


RULE_CREATE = """mutation($name: String!, $method: AssignmentMethod!, $conditions: JSONString!,
  $user: ID, $team: ID) {
  assignmentRuleCreate(name: $name, method: $method, conditions: $conditions, user: $user,
    team: $team) {
    errors { field code }
    rule { id name method conditions user { username } team { name } }
  } }"""
TAG_CREATE = """mutation($tag: String!, $conditions: JSONString!) {
  tagRuleCreate(tag: $tag, conditions: $conditions) { errors { field code message }
    rule { id tag conditions active } } }"""
TAG_UPDATE = """mutation($id: ID!, $active: Boolean) {
  tagRuleUpdate(id: $id, active: $active) { errors { field code } rule { active } } }"""
TAG_DELETE = """mutation($id: ID!) { tagRuleDelete(id: $id) { errors { field code } deletedId } }"""
RULES = "{ tagRules { tag } assignmentRules { name method user { username } } }"


def test_manager_keeps_rules_through_the_api(de, graphql, settings):
    conditions = '[{"field": "country", "op": "in", "value": ["DE", "AT"]}]'
    made = payload(
        graphql(
            TAG_CREATE,
            {"tag": "dach", "conditions": conditions},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "tagRuleCreate",
    )
    assert made["errors"] == []
    rule_id = made["rule"]["id"]
    off = payload(
        graphql(TAG_UPDATE, {"id": rule_id, "active": False}, bu="acme.de", as_="acme.de.manager"),
        "tagRuleUpdate",
    )
    assert off["rule"]["active"] is False
    rule = payload(
        graphql(
            RULE_CREATE,
            {
                "name": "To sales",
                "method": "USER",
                "conditions": conditions,
                "user": to_global_id("User", user_id("acme.de.sales")),
            },
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "assignmentRuleCreate",
    )
    assert rule["errors"] == []
    assert rule["rule"]["user"]["username"] == "acme.de.sales"
    listed = graphql(RULES, bu="acme.de", as_="acme.de.sales")
    assert listed.errors == []
    assert listed.data["tagRules"] == [{"tag": "dach"}]
    assert [r["name"] for r in listed.data["assignmentRules"]] == ["To sales"]
    gone = payload(
        graphql(TAG_DELETE, {"id": rule_id}, bu="acme.de", as_="acme.de.manager"), "tagRuleDelete"
    )
    assert gone["errors"] == []
    # Another BU sees none of them.
    settings.REGION = "ap"
    japan = graphql(RULES, bu="acme.jp", as_="acme.jp.sales")
    assert japan.errors == []
    assert japan.data == {"tagRules": [], "assignmentRules": []}


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ('[{"field": "shoe_size", "op": "eq", "value": 42}]', "conditions"),
        ('[{"field": "country", "op": "like", "value": "D%"}]', "conditions"),
        ('[{"field": "country", "op": "in", "value": "DE"}]', "conditions"),
        ('{"field": "country"}', "conditions"),
        ('[{"field": "phone", "op": "empty", "value": "x"}]', "conditions"),
    ],
    ids=["unknown-field", "unknown-op", "in-needs-list", "not-a-list", "empty-no-value"],
)
def test_bad_conditions_are_invalid_argument(de, graphql, conditions, field):
    from crm.tenants.leads.models import TagRule

    found = payload(
        graphql(
            TAG_CREATE, {"tag": "x", "conditions": conditions}, bu="acme.de", as_="acme.de.manager"
        ),
        "tagRuleCreate",
    )
    assert codes(found) == [(field, "INVALID_ARGUMENT")]
    with schema_context(DE):
        assert not TagRule.objects.exists()


def test_rule_to_a_user_outside_the_bu_is_invalid_assignee(de, graphql):
    found = payload(
        graphql(
            RULE_CREATE,
            {
                "name": "Japan",
                "method": "USER",
                "conditions": "[]",
                "user": to_global_id("User", user_id("acme.jp.sales")),
            },
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "assignmentRuleCreate",
    )
    assert codes(found) == [("user", "INVALID_ASSIGNEE")]
    no_team = payload(
        graphql(
            RULE_CREATE,
            {"name": "RR", "method": "ROUND_ROBIN", "conditions": "[]"},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "assignmentRuleCreate",
    )
    assert codes(no_team) == [("team", "INVALID_ARGUMENT")]
    jp_team = team("Tokyo", ["acme.jp.sales"], bu="jp")
    other_bu_team = payload(
        graphql(
            RULE_CREATE,
            {
                "name": "RR",
                "method": "ROUND_ROBIN",
                "conditions": "[]",
                "team": to_global_id("Team", jp_team.pk),
            },
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "assignmentRuleCreate",
    )
    assert codes(other_bu_team) == [("team", "NOT_FOUND")]


def test_sales_may_read_but_not_change_rules(de, graphql):
    found = payload(
        graphql(TAG_CREATE, {"tag": "x", "conditions": "[]"}, bu="acme.de", as_="acme.de.sales"),
        "tagRuleCreate",
    )
    assert [e["code"] for e in found["errors"]] == ["PERMISSION_DENIED"]


INVALID_CREATE = """mutation($name: String!, $reason: InvalidReason!, $conditions: JSONString!) {
  invalidRuleCreate(name: $name, invalidReason: $reason, conditions: $conditions) {
    errors { field code } rule { id name reason conditions } } }"""


def test_invalid_lead_rules_keep_the_lead_but_mark_it(de, graphql):
    from crm.tenants.leads.models import LeadAssignment

    made = payload(
        graphql(
            INVALID_CREATE,
            {
                "name": "Throw-away mail",
                "reason": "SPAM",
                "conditions": '[{"field": "email", "op": "contains", "value": "@mailinator."}]',
            },
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "invalidRuleCreate",
    )
    assert made["errors"] == []
    assert made["rule"]["reason"] == "SPAM"
    everything = payload(
        graphql(
            INVALID_CREATE,
            {"name": "All", "reason": "SPAM", "conditions": "[]"},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "invalidRuleCreate",
    )
    assert codes(everything) == [("conditions", "INVALID_ARGUMENT")]
    with schema_context(DE):
        assignment_rule("All to sales", "USER", user="acme.de.sales")
        api = access_of("acme.de.manager")
        spam = capture(api, email="bot@mailinator.com")
        fine = capture(api, email="anna@kraftwerk.example")
        assert (spam.status, spam.invalid_reason, spam.invalid_note) == (
            "INVALID",
            "SPAM",
            "rule: Throw-away mail",
        )
        assert spam.owner_id is None
        assert not LeadAssignment.objects.filter(lead=spam).exists()
        assert (fine.status, fine.owner_id) == ("NEW", user_id("acme.de.sales"))
    listed = graphql("{ invalidRules { name } }", bu="acme.de", as_="acme.de.sales")
    assert listed.data == {"invalidRules": [{"name": "Throw-away mail"}]}
    refused = payload(
        graphql(
            INVALID_CREATE,
            {"name": "x", "reason": "SPAM", "conditions": '[{"field": "email", "op": "empty"}]'},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "invalidRuleCreate",
    )
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
