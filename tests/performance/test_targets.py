"""Targets through GraphQL: a manager sets them for a user, a team and the BU; every bad input
is a typed error that changes nothing; who sees which targets; other BUs' and groups' targets
are out of reach."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.tenants.performance.models import Target
from crm.tests.ledger.helpers import errors_of
from crm.tests.performance.helpers import (
    DE,
    JP,
    gid,
    make_team,
    member,
    set_target,
    this_month,
    user_id,
)

FIELDS = """id subject user { username } team { name } period periodStart metric
  amount { amount currency } dealCount note setBy { username } permissions { actions }"""
CREATE = f"""mutation($subject: TargetSubject!, $user: ID, $team: ID, $period: PeriodKind!,
                     $start: Date!, $metric: TargetMetric!, $amount: Decimal,
                     $currency: String, $count: Int, $note: String) {{
  targetCreate(subject: $subject, user: $user, team: $team, period: $period,
               periodStart: $start, metric: $metric, amount: $amount, currency: $currency,
               dealCount: $count, note: $note) {{
    errors {{ field code message }} target {{ {FIELDS} }} }} }}"""
UPDATE = f"""mutation($id: ID!, $amount: Decimal, $count: Int, $note: String, $currency: String) {{
  targetUpdate(id: $id, amount: $amount, dealCount: $count, note: $note, currency: $currency) {{
    errors {{ field code }} target {{ {FIELDS} }} }} }}"""
DELETE = """mutation($id: ID!) { targetDelete(id: $id) { errors { field code } deletedId } }"""
LIST = f"""query($filter: TargetFilter) {{ targets(first: 50, filter: $filter) {{
  totalCount edges {{ node {{ {FIELDS} }} }} }} }}"""
ONE = f"""query($id: ID!) {{ target(id: $id) {{ {FIELDS} }} }}"""


@pytest.fixture
def eu(settings: Any) -> None:
    settings.REGION = "eu"


def revenue(**variables: Any) -> dict[str, Any]:
    return {
        "subject": "USER",
        "period": "MONTH",
        "start": this_month().isoformat(),
        "metric": "WON_REVENUE",
        "amount": "25000.00",
        **variables,
    }


def count() -> int:
    with schema_context(DE):
        return Target.objects.count()


def test_a_manager_sets_targets_for_a_user_a_team_and_the_business_unit(world, graphql, eu):
    team = make_team("Nord", ["acme.de.sales"])
    sales = to_global_id("User", user_id("acme.de.sales"))
    reply = graphql(CREATE, revenue(user=sales, note="Q push"), bu="acme.de", as_="acme.de.manager")
    assert errors_of(reply) == []
    made = reply.data["targetCreate"]["target"]
    assert made["subject"] == "USER"
    assert made["user"] == {"username": "acme.de.sales"}
    assert made["amount"] == {"amount": "25000.00", "currency": "CNY"}  # the group currency
    assert made["periodStart"] == this_month().isoformat()
    assert made["setBy"] == {"username": "acme.de.manager"}
    assert set(made["permissions"]["actions"]) >= {"VIEW", "EDIT", "DELETE"}
    reply = graphql(
        CREATE,
        revenue(
            subject="TEAM",
            team=to_global_id("Team", team.pk),
            metric="WON_DEALS",
            amount=None,
            count=12,
        ),
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert errors_of(reply) == []
    assert reply.data["targetCreate"]["target"]["team"] == {"name": "Nord"}
    assert reply.data["targetCreate"]["target"]["dealCount"] == 12
    quarter = datetime.date(this_month().year, 1, 1)
    reply = graphql(
        CREATE,
        revenue(
            subject="BUSINESS_UNIT", period="QUARTER", start=quarter.isoformat(), amount="900000"
        ),
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert errors_of(reply) == []
    assert reply.data["targetCreate"]["target"]["amount"]["amount"] == "900000.00"
    assert count() == 3


BAD = [
    # (variables changed, code, field)
    ({"amount": "-1"}, "INVALID_ARGUMENT", "amount"),
    ({"amount": "100.001"}, "INVALID_ARGUMENT", "amount"),  # CNY has two decimals
    ({"amount": "1e15"}, "INVALID_ARGUMENT", "amount"),
    ({"amount": None}, "REQUIRED_FIELD_MISSING", "amount"),
    ({"currency": "EUR"}, "INVALID_ARGUMENT", "currency"),
    ({"count": 3}, "INVALID_ARGUMENT", "dealCount"),
    ({"start": "2026-02-15"}, "INVALID_ARGUMENT", "periodStart"),
    ({"period": "QUARTER", "start": "2026-02-01"}, "INVALID_ARGUMENT", "periodStart"),
    ({"period": "YEAR", "start": "2026-04-01"}, "INVALID_ARGUMENT", "periodStart"),
    ({"start": "0001-01-01"}, "INVALID_ARGUMENT", "periodStart"),
    ({"user": "not-an-id"}, "MALFORMED_ID", "user"),
    ({"user": to_global_id("Team", 1)}, "MALFORMED_ID", "user"),
    ({"user": to_global_id("User", 987654)}, "INVALID_ASSIGNEE", "user"),
    ({"user": None}, "REQUIRED_FIELD_MISSING", "user"),
    ({"subject": "BUSINESS_UNIT"}, "INVALID_ARGUMENT", "user"),
    ({"subject": "TEAM", "team": "Team:x"}, "MALFORMED_ID", "team"),
    ({"subject": "TEAM", "team": to_global_id("Team", 987654), "user": None}, "NOT_FOUND", "team"),
    ({"metric": "WON_DEALS", "count": -1, "amount": None}, "INVALID_ARGUMENT", "dealCount"),
    ({"metric": "WON_DEALS", "count": 2}, "INVALID_ARGUMENT", "amount"),
    ({"note": "x" * 501}, "INVALID_ARGUMENT", "note"),
]


@pytest.mark.parametrize(("change", "code", "field"), BAD)
def test_bad_input_is_a_typed_error_and_sets_nothing(world, graphql, eu, change, code, field):
    variables = revenue(user=to_global_id("User", user_id("acme.de.sales")))
    variables.update(change)
    reply = graphql(CREATE, variables, bu="acme.de", as_="acme.de.manager")
    assert errors_of(reply) == [(code, field)]
    assert reply.data["targetCreate"]["target"] is None
    assert count() == 0


def test_people_and_teams_outside_the_business_unit_are_refused(world, graphql, eu):
    japan_team = make_team("Tokyo", ["acme.jp.sales"], handle="acme.jp")
    rival = world.rival_id
    from crm.platform.accounts.models import User

    outsider = User.objects.get(username="rival.admin")
    assert outsider.group_id == rival
    for variables, expected in (
        # A user of the group without a role in acme.de, a user of another group.
        (revenue(user=to_global_id("User", user_id("acme.jp.sales"))), "INVALID_ASSIGNEE"),
        (revenue(user=to_global_id("User", outsider.pk)), "INVALID_ASSIGNEE"),
        # A team of another BU of the group.
        (revenue(subject="TEAM", team=to_global_id("Team", japan_team.pk)), "NOT_FOUND"),
    ):
        reply = graphql(CREATE, variables, bu="acme.de", as_="acme.de.manager")
        assert [code for code, _field in errors_of(reply)] == [expected]
    assert count() == 0


def test_one_target_per_subject_period_and_metric(world, graphql, eu):
    sales = to_global_id("User", user_id("acme.de.sales"))
    assert (
        errors_of(graphql(CREATE, revenue(user=sales), bu="acme.de", as_="acme.de.manager")) == []
    )
    again = graphql(CREATE, revenue(user=sales, amount="1"), bu="acme.de", as_="acme.de.manager")
    assert errors_of(again) == [("ALREADY_EXISTS", "periodStart")]
    # Another metric, another period kind, another subject: other targets.
    for other in (
        revenue(user=sales, metric="WON_DEALS", amount=None, count=4),
        revenue(
            user=sales, period="QUARTER", start=datetime.date(this_month().year, 1, 1).isoformat()
        ),
        revenue(subject="BUSINESS_UNIT"),
    ):
        assert errors_of(graphql(CREATE, other, bu="acme.de", as_="acme.de.manager")) == []
    assert errors_of(
        graphql(CREATE, revenue(subject="BUSINESS_UNIT"), bu="acme.de", as_="acme.de.manager")
    ) == [("ALREADY_EXISTS", "periodStart")]
    with schema_context(DE):
        assert Target.objects.count() == 4
        assert (
            Target.objects.get(subject="USER", metric="WON_REVENUE", period="MONTH").amount == 25000
        )


def test_update_and_delete(world, graphql, eu):
    with schema_context(DE):
        mine = set_target("USER", user="acme.de.sales", amount="100.00")
        deals = set_target("BUSINESS_UNIT", metric="WON_DEALS", count=5)
    reply = graphql(
        UPDATE,
        {"id": gid("Target", mine), "amount": "150.50", "note": "raised"},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert errors_of(reply) == []
    assert reply.data["targetUpdate"]["target"]["amount"]["amount"] == "150.50"
    assert reply.data["targetUpdate"]["target"]["note"] == "raised"
    for variables, expected in (
        ({"id": gid("Target", mine), "amount": "-5"}, [("INVALID_ARGUMENT", "amount")]),
        ({"id": gid("Target", mine), "count": 3}, [("INVALID_ARGUMENT", "dealCount")]),
        ({"id": gid("Target", mine), "currency": "JPY"}, [("INVALID_ARGUMENT", "currency")]),
        ({"id": gid("Target", deals), "amount": "5"}, [("INVALID_ARGUMENT", "amount")]),
        ({"id": "Target:zz", "amount": "5"}, [("MALFORMED_ID", "id")]),
        ({"id": gid("Target", 98765), "amount": "5"}, [("NOT_FOUND", "id")]),
    ):
        reply = graphql(UPDATE, variables, bu="acme.de", as_="acme.de.manager")
        assert errors_of(reply) == expected, variables
    with schema_context(DE):
        mine.refresh_from_db()
        assert str(mine.amount) == "150.5000"
        assert mine.deal_count is None
    reply = graphql(
        UPDATE, {"id": gid("Target", deals), "count": 7}, bu="acme.de", as_="acme.de.manager"
    )
    assert reply.data["targetUpdate"]["target"]["dealCount"] == 7
    reply = graphql(DELETE, {"id": gid("Target", mine)}, bu="acme.de", as_="acme.de.manager")
    assert errors_of(reply) == []
    assert reply.data["targetDelete"]["deletedId"] == gid("Target", mine)
    assert count() == 1
    again = graphql(DELETE, {"id": gid("Target", mine)}, bu="acme.de", as_="acme.de.manager")
    assert errors_of(again) == [("NOT_FOUND", "id")]


def _usernames(reply: Any) -> set[tuple[str, str | None]]:
    assert reply.errors == [], reply.errors
    return {
        (
            edge["node"]["subject"],
            (edge["node"]["user"] or edge["node"]["team"] or {}).get(
                "username", (edge["node"]["team"] or {}).get("name")
            ),
        )
        for edge in reply.data["targets"]["edges"]
    }


def test_who_sees_which_targets(world, graphql, eu):
    """Salespeople their own and their teams'; a team lead also their people's; managers,
    finance and HQ every one; legal none."""
    seller = member("acme.de.seller2", "front_sales")
    other = member("acme.de.seller3", "front_sales")
    lead = member("acme.de.lead", "front_sales")
    nord = make_team("Nord", ["acme.de.sales", seller], manager=lead)
    sued = make_team("Süd", [other])
    with schema_context(DE):
        for username in ("acme.de.sales", seller, other, lead):
            set_target("USER", user=username)
        set_target("TEAM", team=nord)
        set_target("TEAM", team=sued)
        set_target("BUSINESS_UNIT")
    everything = {
        ("USER", "acme.de.sales"),
        ("USER", seller),
        ("USER", other),
        ("USER", lead),
        ("TEAM", "Nord"),
        ("TEAM", "Süd"),
        ("BUSINESS_UNIT", None),
    }
    assert _usernames(graphql(LIST, bu="acme.de", as_="acme.de.sales")) == {
        ("USER", "acme.de.sales"),
        ("TEAM", "Nord"),
    }
    assert _usernames(graphql(LIST, bu="acme.de", as_=lead)) == {
        ("USER", lead),
        ("USER", "acme.de.sales"),
        ("USER", seller),
        ("TEAM", "Nord"),
    }
    for username in ("acme.de.manager", "acme.de.finance", "acme.director", "acme.admin"):
        assert _usernames(graphql(LIST, bu="acme.de", as_=username)) == everything, username
    assert _usernames(graphql(LIST, bu="acme.de", as_="acme.de.legal")) == set()
    # One by id: another's target is NOT_FOUND, not denied.
    with schema_context(DE):
        theirs = Target.objects.get(user__username=other)
    reply = graphql(ONE, {"id": gid("Target", theirs)}, bu="acme.de", as_="acme.de.sales")
    assert reply.codes == ["NOT_FOUND"]
    # Salespeople may not set or change them.
    sales = to_global_id("User", user_id("acme.de.sales"))
    reply = graphql(
        CREATE,
        revenue(
            user=sales, period="YEAR", start=datetime.date(this_month().year, 1, 1).isoformat()
        ),
        bu="acme.de",
        as_="acme.de.sales",
    )
    assert errors_of(reply) == [("PERMISSION_DENIED", None)]
    with schema_context(DE):
        own = Target.objects.get(user__username="acme.de.sales")
    reply = graphql(
        UPDATE, {"id": gid("Target", own), "amount": "1"}, bu="acme.de", as_="acme.de.sales"
    )
    assert errors_of(reply) == [("PERMISSION_DENIED", None)]
    reply = graphql(DELETE, {"id": gid("Target", own)}, bu="acme.de", as_="acme.de.sales")
    assert errors_of(reply) == [("PERMISSION_DENIED", None)]
    assert count() == 7


def test_filters(world, graphql, eu):
    with schema_context(DE):
        set_target("USER", user="acme.de.sales")
        set_target("USER", user="acme.de.sales", metric="WON_DEALS", count=3)
        set_target("BUSINESS_UNIT")
    reply = graphql(
        LIST, {"filter": {"metric": ["WON_DEALS"]}}, bu="acme.de", as_="acme.de.manager"
    )
    assert reply.data["targets"]["totalCount"] == 1
    reply = graphql(
        LIST,
        {"filter": {"user": to_global_id("User", user_id("acme.de.sales")), "period": ["MONTH"]}},
        bu="acme.de",
        as_="acme.de.manager",
    )
    assert reply.data["targets"]["totalCount"] == 2
    reply = graphql(
        LIST, {"filter": {"startFrom": "2100-01-01"}}, bu="acme.de", as_="acme.de.manager"
    )
    assert reply.data["targets"]["totalCount"] == 0
    reply = graphql(LIST, {"filter": {"user": "nonsense"}}, bu="acme.de", as_="acme.de.manager")
    assert reply.codes == ["MALFORMED_ID"]


def test_other_business_units_and_groups_see_nothing(world, graphql, settings):
    settings.REGION = "eu"
    with schema_context(DE):
        mine = set_target("USER", user="acme.de.sales")
        set_target("BUSINESS_UNIT")
    settings.REGION = "ap"
    japan = member("acme.jp.boss", "bu_manager", "acme.jp")
    with schema_context(JP):
        set_target("BUSINESS_UNIT", bu="jp")
    reply = graphql(LIST, bu="acme.jp", as_=japan)
    assert reply.data["targets"]["totalCount"] == 1  # its own, not acme.de's
    # acme.de's target by its id, asked in acme.jp: another BU's record.
    reply = graphql(ONE, {"id": gid("Target", mine)}, bu="acme.jp", as_=japan)
    assert reply.codes == ["NOT_FOUND"]
    reply = graphql(UPDATE, {"id": gid("Target", mine), "amount": "1"}, bu="acme.jp", as_=japan)
    assert errors_of(reply) == [("NOT_FOUND", "id")]
    # Another group's administrator holds no role in acme.de.
    settings.REGION = "eu"
    reply = graphql(LIST, bu="acme.de", as_="rival.admin")
    assert reply.codes == ["NOT_A_MEMBER"]
    settings.REGION = "cn"
    reply = graphql(LIST, bu="rival.main", as_="rival.admin")
    assert reply.data["targets"]["totalCount"] == 0
