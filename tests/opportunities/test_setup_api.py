"""HQ's sales setup and the BU's pipelines through the API; SQL per deal page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.masterdata.sales.models import ProbabilityBand, ScoreCriterion
from crm.tenants.contacts.models import ActivityKind
from crm.tenants.opportunities.models import Stage
from crm.tests.opportunities.helpers import log_activity, make_deal

SETUP = """
{ leadSources { code name names { language text } }
  pipelineTemplates { code name stages { code name position kind probability requiredFields
                                         requiredActivities requiresApproval } }
  scorecard { criteria { code name weight maxRating } bands { minScore probability } }
  closeReasons { kind code name } }
"""
SCORECARD_SET = """
mutation($criteria: [ScoreCriterionInput!]!, $bands: [ProbabilityBandInput!]!) {
  scorecardSet(criteria: $criteria, bands: $bands) {
    errors { field code } scorecard { criteria { code weight active } bands { minScore } } } }
"""
TEMPLATE_SET = """
mutation($code: String!, $stages: [StageTemplateInput!]!) {
  pipelineTemplateSet(code: $code, names: [{language: "en", text: "Projects"}], stages: $stages) {
    errors { field code } pipelineTemplate { code stages { code position kind } } } }
"""
SOURCE_SET = """
mutation($code: String!, $names: [TranslationInput!]) {
  leadSourceSet(code: $code, names: $names) { errors { field code } leadSource { code name } } }
"""
REASON_SET = """
mutation { closeReasonSet(kind: LOST, code: "TIMING", names: [{language: "en", text: "Timing"},
  {language: "de", text: "Zeitpunkt"}]) { errors { code } closeReason { kind code name } } }
"""
PIPELINES = """
{ pipelines { id code name isDefault stages { code name position kind probability
  requiredFields requiredActivities requiresApproval fromTemplate } } }
"""
STAGE_ADD = """
mutation($code: String!, $after: String!, $activities: [String!]) {
  pipelineStageAdd(code: $code, after: $after, probability: 45,
                   names: [{language: "de", text: "Technische Prüfung"},
                           {language: "en", text: "Technical review"}],
                   requiredActivities: $activities) {
    errors { field code } stage { code name position } pipeline { stages { code } } } }
"""
STAGE_UPDATE = """
mutation($stage: String!, $code: String, $names: [TranslationInput!], $fields: [String!]) {
  pipelineStageUpdate(stage: $stage, code: $code, names: $names, requiredFields: $fields) {
    errors { field code } stage { code name requiredFields } } }
"""
STAGE_REMOVE = """
mutation($stage: String!) {
  pipelineStageRemove(stage: $stage) { errors { field code } pipeline { stages { code } } } }
"""
CRITERIA = [
    {"code": "BUDGET_CONFIRMED", "weight": 30},
    {"code": "SOLUTION_FIT", "weight": 10, "maxRating": 3},
    {"code": "REFERENCES", "weight": 5, "names": [{"language": "en", "text": "References"}]},
]
STAGES = [
    {
        "code": "open",
        "position": 1,
        "probability": 10,
        "names": [{"language": "en", "text": "Open"}],
    },
    {
        "code": "won",
        "position": 2,
        "probability": 100,
        "kind": "WON",
        "names": [{"language": "en", "text": "Won"}],
    },
    {
        "code": "lost",
        "position": 3,
        "probability": 0,
        "kind": "LOST",
        "names": [{"language": "en", "text": "Lost"}],
    },
]


@pytest.fixture
def cn(settings: Any, world: Any) -> Any:
    settings.REGION = "cn"
    return world


def test_hq_reads_the_defaults_in_its_language(cn: Any, graphql: Any) -> None:
    reply = graphql(SETUP, bu="acme.hq", as_="acme.director", language="de")
    assert reply.errors == []
    data = reply.data
    assert [s["code"] for s in data["leadSources"]] == sorted(
        [
            "TRADE_FAIR",
            "WEBSITE",
            "DISTRIBUTOR",
            "REFERRAL",
            "COLD_CALL",
            "EMAIL_CAMPAIGN",
            "PARTNER",
        ]
    )
    fair = next(s for s in data["leadSources"] if s["code"] == "TRADE_FAIR")
    assert fair["name"] == "Messe"
    assert {t["language"] for t in fair["names"]} == {"en", "de", "ja", "zh-hans"}
    (template,) = data["pipelineTemplates"]
    stages = {s["code"]: s for s in template["stages"]}
    assert [s["code"] for s in template["stages"]] == [
        "qualification",
        "needs_analysis",
        "solution",
        "quote",
        "negotiation",
        "won",
        "lost",
    ]
    assert stages["quote"]["name"] == "Angebot"
    assert stages["quote"]["requiredFields"] == ["amount", "expected_close", "products"]
    assert stages["solution"]["requiredActivities"] == ["VISIT", "MEETING"]
    assert stages["negotiation"]["requiresApproval"] is True
    assert (stages["won"]["kind"], stages["won"]["probability"]) == ("WON", 100)
    assert [b["minScore"] for b in data["scorecard"]["bands"]] == [0, 20, 40, 60, 75, 90]
    competition = next(c for c in data["scorecard"]["criteria"] if c["code"] == "COMPETITION")
    assert (competition["name"], competition["maxRating"]) == ("Wettbewerb", 5)
    reasons = {(r["kind"], r["code"]) for r in data["closeReasons"]}
    assert ("WON", "PRICE") in reasons
    assert ("LOST", "COMPETITOR") in reasons
    assert ("WON", "COMPETITOR") not in reasons


def test_hq_writes_the_setup_with_validation(cn: Any, graphql: Any) -> None:
    def scorecard(
        criteria: list[dict[str, Any]], bands: list[dict[str, Any]], as_: str = "acme.admin"
    ) -> dict[str, Any]:
        reply = graphql(
            SCORECARD_SET, {"criteria": criteria, "bands": bands}, bu="acme.hq", as_=as_
        )
        assert reply.data, reply.errors
        payload: dict[str, Any] = reply.data["scorecardSet"]
        return payload

    bands = [{"minScore": 0, "probability": 5}, {"minScore": 50, "probability": 60}]
    bad = [
        (
            [{"code": "X", "weight": 0, "names": [{"language": "en", "text": "X"}]}],
            bands,
            "criteria.0.weight",
        ),
        (CRITERIA, [{"minScore": 10, "probability": 5}], "bands.0.minScore"),
        (
            CRITERIA,
            [{"minScore": 0, "probability": 5}, {"minScore": 0, "probability": 6}],
            "bands.1.minScore",
        ),
        (
            CRITERIA,
            [{"minScore": 0, "probability": 50}, {"minScore": 40, "probability": 20}],
            "bands.1.probability",
        ),
        (CRITERIA, [{"minScore": 0, "probability": 101}], "bands.0.probability"),
        ([{"code": "NEW", "weight": 5}], bands, "criteria.0.names"),
        ([*CRITERIA, {"code": "SOLUTION_FIT", "weight": 1}], bands, "criteria.3.code"),
    ]
    for criteria, given_bands, field in bad:
        payload = scorecard(criteria, given_bands)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            (field, "INVALID_ARGUMENT")
        ], field
    assert ScoreCriterion.objects.filter(group_id=cn.acme_id, active=True).count() == 6
    assert scorecard(CRITERIA, bands, as_="acme.auditor")["errors"][0]["code"] == (
        "PERMISSION_DENIED"
    )

    done = scorecard(CRITERIA, bands, as_="acme.director")
    assert done["errors"] == []
    active = {c["code"]: c["weight"] for c in done["scorecard"]["criteria"] if c["active"]}
    assert active == {"BUDGET_CONFIRMED": 30, "SOLUTION_FIT": 10, "REFERENCES": 5}
    assert ProbabilityBand.objects.filter(group_id=cn.acme_id).count() == 2
    # the others are kept, inactive, so that past answers keep their meaning
    assert ScoreCriterion.objects.get(group_id=cn.acme_id, code="TIMING").active is False
    # the rival group's scorecard is its own
    assert ScoreCriterion.objects.filter(group_id=cn.rival_id, active=True).count() == 6

    def template(code: str, stages: list[dict[str, Any]]) -> list[tuple[str, str]]:
        reply = graphql(
            TEMPLATE_SET, {"code": code, "stages": stages}, bu="acme.hq", as_="acme.admin"
        )
        return [(e["field"], e["code"]) for e in reply.data["pipelineTemplateSet"]["errors"]]

    two_won = [*STAGES[:2], {**STAGES[1], "code": "won2", "position": 4}, STAGES[2]]
    assert template("projects", two_won) == [("stages", "INVALID_ARGUMENT")]
    assert template("projects", STAGES[:2]) == [("stages", "INVALID_ARGUMENT")]
    same_position = [STAGES[0], {**STAGES[1], "position": 1}, STAGES[2]]
    assert template("projects", same_position) == [("stages.1.position", "INVALID_ARGUMENT")]
    assert template("projects", [{**STAGES[0], "probability": 101}, *STAGES[1:]]) == [
        ("stages.0.probability", "INVALID_ARGUMENT")
    ]
    assert template("projects", [{**STAGES[0], "requiredActivities": ["DANCE"]}, *STAGES[1:]]) == [
        ("stages.0.requiredActivities.0", "INVALID_ARGUMENT")
    ]
    closed_first = [{**STAGES[0], "position": 9}, *STAGES[1:]]
    assert template("projects", closed_first) == [("stages", "INVALID_ARGUMENT")]
    assert template("projects", STAGES) == []

    reply = graphql(
        SOURCE_SET,
        {"code": "webinar", "names": [{"language": "xx", "text": "W"}]},
        bu="acme.hq",
        as_="acme.admin",
    )
    assert reply.data["leadSourceSet"]["errors"][0]["code"] == "UNKNOWN_LANGUAGE"
    reply = graphql(
        SOURCE_SET,
        {"code": "webinar", "names": [{"language": "en", "text": "Webinar"}]},
        bu="acme.hq",
        as_="acme.admin",
    )
    assert reply.data["leadSourceSet"]["leadSource"] == {"code": "WEBINAR", "name": "Webinar"}
    reply = graphql(REASON_SET, bu="acme.hq", as_="acme.director")
    assert reply.data["closeReasonSet"]["closeReason"]["code"] == "TIMING"

    # Another group sees its own setup only.
    rival = graphql(SETUP, bu="rival.main", as_="rival.admin").data
    assert "WEBINAR" not in {s["code"] for s in rival["leadSources"]}
    assert [t["code"] for t in rival["pipelineTemplates"]] == ["standard"]
    assert [b["minScore"] for b in rival["scorecard"]["bands"]] == [0, 20, 40, 60, 75, 90]


def test_a_bu_localizes_its_pipeline(world: Any, settings: Any, graphql: Any) -> None:
    settings.REGION = "eu"
    reply = graphql(PIPELINES, bu="acme.de", as_="acme.de.manager")
    (pipeline,) = reply.data["pipelines"]
    assert pipeline["isDefault"] is True
    assert [s["name"] for s in pipeline["stages"]][:4] == [
        "Qualifizierung",
        "Bedarfsanalyse",
        "Lösungskonzept",
        "Angebot",
    ]
    assert all(s["fromTemplate"] for s in pipeline["stages"])

    # Only managers change the pipeline.
    refused = graphql(
        STAGE_ADD, {"code": "tech_review", "after": "solution"}, bu="acme.de", as_="acme.de.sales"
    )
    assert refused.data["pipelineStageAdd"]["errors"][0]["code"] == "PERMISSION_DENIED"

    def add(code: str, after: str, activities: list[str] | None = None) -> dict[str, Any]:
        reply = graphql(
            STAGE_ADD,
            {"code": code, "after": after, "activities": activities},
            bu="acme.de",
            as_="acme.de.manager",
        )
        payload: dict[str, Any] = reply.data["pipelineStageAdd"]
        return payload

    assert add("x", "won")["errors"][0] == {"field": "after", "code": "INVALID_ARGUMENT"}
    assert add("x", "nowhere")["errors"][0] == {"field": "after", "code": "NOT_FOUND"}
    assert add("quote", "solution")["errors"][0] == {"field": "code", "code": "ALREADY_EXISTS"}
    assert add("x", "solution", ["DANCE"])["errors"][0]["code"] == "INVALID_ARGUMENT"
    added = add("tech_review", "solution", ["CALL"])
    assert added["errors"] == []
    assert added["stage"]["name"] == "Technische Prüfung"
    assert [s["code"] for s in added["pipeline"]["stages"]] == [
        "qualification",
        "needs_analysis",
        "solution",
        "tech_review",
        "quote",
        "negotiation",
        "won",
        "lost",
    ]

    # A deal going from solution to quote now passes the BU's own stage and its condition.
    deal = make_deal(stage="solution")
    advance = """mutation($id: ID!) { opportunityAdvance(id: $id, toStage: "quote") {
        errors { code } blockedStage missing } }"""
    deal_id = to_global_id("Opportunity", deal.pk)
    reply = graphql(advance, {"id": deal_id}, bu="acme.de", as_="acme.de.sales")
    assert reply.data["opportunityAdvance"]["blockedStage"] == "tech_review"
    assert reply.data["opportunityAdvance"]["missing"] == ["activity:CALL"]
    with schema_context("bu_acme_de"):
        log_activity(deal, ActivityKind.CALL)
    reply = graphql(advance, {"id": deal_id}, bu="acme.de", as_="acme.de.sales")
    assert reply.data["opportunityAdvance"]["errors"] == []

    def update(stage: str, **variables: Any) -> dict[str, Any]:
        reply = graphql(
            STAGE_UPDATE, {"stage": stage, **variables}, bu="acme.de", as_="acme.de.manager"
        )
        payload: dict[str, Any] = reply.data["pipelineStageUpdate"]
        return payload

    assert update("quote", code="offer")["errors"] == [
        {"field": "code", "code": "INVALID_ARGUMENT"}
    ]
    renamed = update(
        "quote",
        names=[{"language": "de", "text": "Angebotsphase"}],
        fields=["amount", "expected_close", "products", "grade"],
    )
    assert renamed["errors"] == []
    assert renamed["stage"]["name"] == "Angebotsphase"
    assert renamed["stage"]["requiredFields"] == ["amount", "expected_close", "products", "grade"]
    assert update("quote", fields=["colour"])["errors"][0]["code"] == "INVALID_ARGUMENT"
    assert update("tech_review", code="technik")["stage"]["code"] == "technik"

    # Template stages stay; the BU's own goes only while no deal is in it.
    def remove(stage: str) -> list[dict[str, str]]:
        reply = graphql(STAGE_REMOVE, {"stage": stage}, bu="acme.de", as_="acme.de.manager")
        errors: list[dict[str, str]] = reply.data["pipelineStageRemove"]["errors"]
        return errors

    assert remove("quote") == [{"field": "stage", "code": "INVALID_ARGUMENT"}]
    parked = make_deal(stage="solution")
    with schema_context("bu_acme_de"):
        technik = Stage.objects.get(code="technik")
        parked.stage, parked.stage_code = technik, "technik"
        parked.save()
    assert remove("technik") == [{"field": "stage", "code": "IN_USE"}]
    with schema_context("bu_acme_de"):
        parked.stage = Stage.objects.get(pipeline_id=technik.pipeline_id, code="solution")
        parked.stage_code = "solution"
        parked.save()
    assert remove("technik") == []
    assert remove("technik") == [{"field": "stage", "code": "NOT_FOUND"}]

    # Another BU's pipeline is untouched, and not reachable from here.
    settings.REGION = "ap"
    jp = graphql(PIPELINES, bu="acme.jp", as_="acme.jp.sales").data["pipelines"]
    assert [s["code"] for s in jp[0]["stages"]] == [
        "qualification",
        "needs_analysis",
        "solution",
        "quote",
        "negotiation",
        "won",
        "lost",
    ]


LIST = """query($n: Int!) { opportunities(first: $n) { totalCount edges { node {
  id name status probability score expectedClose closedOn closeNote dealClass grade
  stage { code name } pipeline { code } owner { username } account { id localCode }
  amount { amount currency } amountBu { amount } amountGroup { amount currency }
  conversion { groupRate complete } closeReason { code name }
  scorecard { criterion { code name } rating } products { quantity material { code name } }
  team { user { username } role } events { kind toStage } customFields { code }
  permissions { actions fields { name mode } } } } } }"""


def test_a_page_of_deals_costs_the_same_sql_whatever_its_size(
    world: Any, settings: Any, graphql: Any
) -> None:
    settings.REGION = "eu"
    for index in range(12):
        stage = ("qualification", "needs_analysis", "quote", "won")[index % 4]
        make_deal(stage=stage, as_="acme.de.manager")

    def statements(n: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            reply = graphql(LIST, {"n": n}, bu="acme.de", as_="acme.de.manager")
        assert reply.errors == [], reply.errors
        assert len(reply.data["opportunities"]["edges"]) == n
        return len(queries)

    statements(1)
    assert statements(2) == statements(12)
