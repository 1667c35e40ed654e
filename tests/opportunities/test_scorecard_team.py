"""The win scorecard (score, probability band, history) and the account team's permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.platform.accounts.models import Membership, Role, User
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.models import DealTeamMember, Opportunity
from crm.tenants.opportunities.services import compute_score
from crm.tests.opportunities.helpers import make_deal

SCORE = """
mutation($id: ID!, $answers: [ScoreAnswerInput!]!) {
  opportunityScore(id: $id, answers: $answers) {
    errors { field code }
    opportunity { score probability scorecard { criterion { code weight } rating note } } } }
"""
DEAL = """
query($id: ID!) { opportunity(id: $id) {
  name score probability stage { code }
  scorecard { criterion { code } rating }
  team { user { username } role }
  events(kinds: [SCORE]) { kind fromScore toScore fromProbability toProbability actor }
  permissions { actions fields { name mode } } } }
"""
TEAM_ADD = """
mutation($id: ID!, $user: ID!, $role: TeamRole!) {
  opportunityTeamAdd(id: $id, user: $user, role: $role) {
    errors { field code } opportunity { team { user { username } role } } } }
"""
TEAM_REMOVE = """
mutation($id: ID!, $user: ID!) {
  opportunityTeamRemove(id: $id, user: $user) { errors { field code } opportunity { name } } }
"""
PRODUCTS = """
mutation($id: ID!, $material: ID!) {
  opportunityProductsSet(id: $id, products: [{material: $material, quantity: "3"}]) {
    errors { field code } opportunity { products { quantity } } } }
"""
ADVANCE = """
mutation($id: ID!, $to: String!) {
  opportunityAdvance(id: $id, toStage: $to) { errors { code } opportunity { probability } } }
"""
SALES, MANAGER = "acme.de.sales", "acme.de.manager"


def gid(deal: Opportunity) -> str:
    return to_global_id("Opportunity", deal.pk)


def user_gid(username: str) -> str:
    return to_global_id("User", User.objects.get(username=username).pk)


def bu_user(username: str, role: str, bu: str = "de", *, active: bool = True) -> User:
    user = User.objects.create_user(username=username, password="pw", group_id=_acme())
    user.is_active = active
    user.save()
    Membership.objects.create(
        group_id=_acme(),
        user=user,
        role=Role.objects.get(group_id=_acme(), code=role),
        business_unit=BusinessUnit.objects.get(group_id=_acme(), code=bu),
    )
    return user


def _acme() -> int:
    return int(BusinessUnit.objects.get(code="de").group_id)


@pytest.fixture
def eu(settings: Any, world: Any) -> Any:
    settings.REGION = "eu"
    return world


def answers(**ratings: int) -> list[dict[str, Any]]:
    return [{"criterion": code, "rating": rating} for code, rating in ratings.items()]


def test_score_maps_to_the_bands_and_history_shows_the_moves(eu: Any, graphql: Any) -> None:
    deal = make_deal(stage="needs_analysis")
    # 20×5/5 + 20×5/5 + 15×3/5 = 49 of 100 -> band 40 -> 25 %
    reply = graphql(
        SCORE,
        {
            "id": gid(deal),
            "answers": answers(CUSTOMER_RELATIONSHIP=5, BUDGET_CONFIRMED=5, DECISION_CHAIN_KNOWN=3),
        },
        bu="acme.de",
        as_=SALES,
    )
    payload = reply.data["opportunityScore"]
    assert payload["errors"] == []
    assert (payload["opportunity"]["score"], payload["opportunity"]["probability"]) == (49, 25)
    lines = {
        line["criterion"]["code"]: line["rating"] for line in payload["opportunity"]["scorecard"]
    }
    assert lines == {
        "CUSTOMER_RELATIONSHIP": 5,
        "BUDGET_CONFIRMED": 5,
        "DECISION_CHAIN_KNOWN": 3,
        "COMPETITION": None,
        "SOLUTION_FIT": None,
        "TIMING": None,
    }
    # weak competition (rated 5) adds its 15 -> 64 -> band 60 -> 50 %
    reply = graphql(
        SCORE, {"id": gid(deal), "answers": answers(COMPETITION=5)}, bu="acme.de", as_=SALES
    )
    assert reply.data["opportunityScore"]["opportunity"]["score"] == 64
    assert reply.data["opportunityScore"]["opportunity"]["probability"] == 50

    # The scorecard's probability stays when the deal moves on.
    with schema_context("bu_acme_de"):
        from crm.tests.opportunities.helpers import log_activity

        log_activity(Opportunity.objects.get(pk=deal.pk))
    reply = graphql(ADVANCE, {"id": gid(deal), "to": "solution"}, bu="acme.de", as_=SALES)
    assert reply.data["opportunityAdvance"]["opportunity"]["probability"] == 50

    history = graphql(DEAL, {"id": gid(deal)}, bu="acme.de", as_=SALES).data["opportunity"]
    moves = [
        (e["fromScore"], e["toScore"], e["fromProbability"], e["toProbability"])
        for e in history["events"]
    ]
    assert moves == [(None, 49, 20, 25), (49, 64, 25, 50)]
    assert {e["kind"] for e in history["events"]} == {"SCORE"}
    assert history["events"][0]["actor"]


def test_bad_ratings_change_nothing(eu: Any, graphql: Any) -> None:
    deal = make_deal(stage="qualification")

    def refused(given: list[dict[str, Any]]) -> list[tuple[str, str]]:
        reply = graphql(SCORE, {"id": gid(deal), "answers": given}, bu="acme.de", as_=SALES)
        return [(e["field"], e["code"]) for e in reply.data["opportunityScore"]["errors"]]

    assert refused(answers(TIMING=6)) == [("answers.0.rating", "INVALID_ARGUMENT")]
    assert refused(answers(TIMING=2, LUCK=3)) == [("answers.1.criterion", "INVALID_ARGUMENT")]
    assert refused(
        [{"criterion": "TIMING", "rating": 1}, {"criterion": "timing", "rating": 2}]
    ) == [("answers.1.criterion", "INVALID_ARGUMENT")]
    with schema_context("bu_acme_de"):
        stored = Opportunity.objects.get(pk=deal.pk)
        assert (stored.score, stored.probability) == (None, 10)
        assert not stored.answers.exists()


def test_score_formula_rounds_half_up() -> None:
    class C:
        def __init__(self, pk: int, weight: int, max_rating: int) -> None:
            self.pk, self.weight, self.max_rating = pk, weight, max_rating

    criteria: Any = [C(1, 1, 8), C(2, 1, 1)]
    # (1 × 1/8 + 0) / 2 × 100 = 6.25 -> 6 ; (1 × 3/8) / 2 × 100 = 18.75 -> 19
    assert compute_score(criteria, {1: 1}) == 6
    assert compute_score(criteria, {1: 3}) == 19
    assert compute_score(criteria, {1: 8, 2: 1}) == 100
    assert compute_score([], {}) == 0


def test_a_solution_expert_works_the_scorecard_of_the_deals_they_are_on(
    eu: Any, graphql: Any
) -> None:
    expert = bu_user("acme.de.expert", "back_support")
    on_team = make_deal(stage="solution")
    other = make_deal(stage="solution")

    # Only the owner or a manager puts people on the team.
    reply = graphql(
        TEAM_ADD,
        {"id": gid(on_team), "user": user_gid(expert.username), "role": "SOLUTION_EXPERT"},
        bu="acme.de",
        as_="acme.de.legal",
    )
    assert reply.data["opportunityTeamAdd"]["errors"][0]["code"] in (
        "NOT_FOUND",
        "PERMISSION_DENIED",
    )
    reply = graphql(
        TEAM_ADD,
        {"id": gid(on_team), "user": user_gid(expert.username), "role": "SOLUTION_EXPERT"},
        bu="acme.de",
        as_=SALES,
    )
    assert reply.data["opportunityTeamAdd"]["errors"] == []
    assert reply.data["opportunityTeamAdd"]["opportunity"]["team"] == [
        {"user": {"username": "acme.de.expert"}, "role": "SOLUTION_EXPERT"}
    ]

    # On the team: reads and rates the scorecard, sets products, but does not move the deal.
    mine = graphql(DEAL, {"id": gid(on_team)}, bu="acme.de", as_=expert.username).data
    modes = {f["name"]: f["mode"] for f in mine["opportunity"]["permissions"]["fields"]}
    assert (modes["scorecard"], modes["products"], modes["amount"]) == ("WRITE", "WRITE", "READ")
    reply = graphql(
        SCORE,
        {"id": gid(on_team), "answers": answers(SOLUTION_FIT=4)},
        bu="acme.de",
        as_=expert.username,
    )
    assert reply.data["opportunityScore"]["errors"] == []
    assert reply.data["opportunityScore"]["opportunity"]["score"] == 16
    from crm.masterdata.models import Material

    material = to_global_id("Material", Material.objects.get(code="M-003").pk)
    reply = graphql(
        PRODUCTS, {"id": gid(on_team), "material": material}, bu="acme.de", as_=expert.username
    )
    assert reply.data["opportunityProductsSet"]["errors"] == []
    reply = graphql(
        ADVANCE, {"id": gid(on_team), "to": "needs_analysis"}, bu="acme.de", as_=expert.username
    )
    assert reply.data["opportunityAdvance"]["errors"][0]["code"] == "PERMISSION_DENIED"

    # Not on the team: reads the BU's deals, edits none of them.
    theirs = graphql(DEAL, {"id": gid(other)}, bu="acme.de", as_=expert.username).data
    modes = {f["name"]: f["mode"] for f in theirs["opportunity"]["permissions"]["fields"]}
    assert modes["scorecard"] == "READ"
    assert "EDIT" not in theirs["opportunity"]["permissions"]["actions"]
    reply = graphql(
        SCORE,
        {"id": gid(other), "answers": answers(SOLUTION_FIT=4)},
        bu="acme.de",
        as_=expert.username,
    )
    assert [e["code"] for e in reply.data["opportunityScore"]["errors"]] == ["PERMISSION_DENIED"]
    with schema_context("bu_acme_de"):
        assert Opportunity.objects.get(pk=other.pk).score is None


def test_team_members_must_belong_to_the_bu_and_appear_once(eu: Any, graphql: Any) -> None:
    deal = make_deal(stage="qualification")

    def add(username: str, role: str = "DELIVERY_LEAD", as_: str = SALES) -> list[tuple[str, str]]:
        reply = graphql(
            TEAM_ADD,
            {"id": gid(deal), "user": user_gid(username), "role": role},
            bu="acme.de",
            as_=as_,
        )
        return [(e["field"], e["code"]) for e in reply.data["opportunityTeamAdd"]["errors"]]

    assert add("acme.jp.sales") == [("user", "INVALID_ASSIGNEE")]
    assert add("acme.nobody") == [("user", "INVALID_ASSIGNEE")]
    bu_user("acme.de.gone", "delivery", active=False)
    assert add("acme.de.gone") == [("user", "INVALID_ASSIGNEE")]
    reply = graphql(
        TEAM_ADD, {"id": gid(deal), "user": "rubbish", "role": "LEGAL"}, bu="acme.de", as_=SALES
    )
    assert reply.data["opportunityTeamAdd"]["errors"][0]["code"] == "MALFORMED_ID"
    delivery = bu_user("acme.de.delivery", "delivery")
    assert add(delivery.username) == []
    assert add(delivery.username) == [("user", "ALREADY_EXISTS")]
    assert add("acme.de.legal", "LEGAL", as_=MANAGER) == []
    with schema_context("bu_acme_de"):
        assert DealTeamMember.objects.filter(opportunity_id=deal.pk).count() == 2

    # A delivery lead on the team sees the deal before it is won; off the team, no longer.
    seen = graphql(DEAL, {"id": gid(deal)}, bu="acme.de", as_=delivery.username)
    assert seen.data["opportunity"]["name"] == deal.name
    reply = graphql(
        TEAM_REMOVE, {"id": gid(deal), "user": user_gid(delivery.username)}, bu="acme.de", as_=SALES
    )
    assert reply.data["opportunityTeamRemove"]["errors"] == []
    assert graphql(DEAL, {"id": gid(deal)}, bu="acme.de", as_=delivery.username).codes == [
        "NOT_FOUND"
    ]
    reply = graphql(
        TEAM_REMOVE, {"id": gid(deal), "user": user_gid(delivery.username)}, bu="acme.de", as_=SALES
    )
    assert reply.data["opportunityTeamRemove"]["errors"][0]["code"] == "NOT_FOUND"
