"""Reading the lead pool: filters, keyset pages, isolation between BUs and groups, hidden
personal fields for HQ, constant SQL per page; campaigns."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from graphql_relay import to_global_id

from crm.tests.leads.helpers import (
    campaign,
    codes,
    lead_source,
    make_lead,
    payload,
    user_id,
)

DE = "bu_acme_de"
LEADS = """query($n: Int!, $after: String, $filter: LeadFilter, $order: LeadOrder) {
  leads(first: $n, after: $after, filter: $filter, orderBy: $order) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id companyName lastName } } } }"""
FULL = """query($n: Int!) { leads(first: $n) { totalCount edges { node {
  id firstName lastName email phone message companyName country region industry
  products { code } productLine source { code name } campaign { code name cost { amount currency } }
  tags status invalidReason invalidNote overdue owner { username } duplicates { kind id reason }
  customFields { code } assignments { toUser { username } rule }
  permissions { actions fields { name mode } } } } } }"""
ONE = """query($id: ID!) { lead(id: $id) { id companyName email } }"""


@pytest.fixture
def de(world, settings):
    settings.REGION = "eu"
    lead_source("WEBSITE")
    return world


def names(reply: Any) -> list[str]:
    assert reply.errors == [], reply.errors
    return [edge["node"]["companyName"] for edge in reply.data["leads"]["edges"]]


def test_filters_and_keyset_pages(de, graphql):
    now = timezone.now()
    with schema_context(DE):
        fair = campaign(code="fair")
        for i in range(5):
            make_lead(
                company_name=f"Alpha {i}",
                owner="acme.de.sales",
                country="DE",
                created_at=now - datetime.timedelta(minutes=i),
            )
        make_lead(
            company_name="Beta",
            owner="acme.de.manager",
            country="AT",
            tags=["hot"],
            campaign=fair,
            overdue=True,
            created_at=now - datetime.timedelta(days=2),
        )
        make_lead(
            company_name="Gamma",
            status="INVALID",
            country="DE",
            created_at=now - datetime.timedelta(days=3),
        )
    manager = {"bu": "acme.de", "as_": "acme.de.manager"}
    assert names(graphql(LEADS, {"n": 10}, **manager)) == [
        "Alpha 0",
        "Alpha 1",
        "Alpha 2",
        "Alpha 3",
        "Alpha 4",
        "Beta",
        "Gamma",
    ]

    first = graphql(LEADS, {"n": 3}, **manager)
    assert names(first) == ["Alpha 0", "Alpha 1", "Alpha 2"]
    info = first.data["leads"]["pageInfo"]
    assert info["hasNextPage"] is True
    second = graphql(LEADS, {"n": 3, "after": info["endCursor"]}, **manager)
    assert names(second) == ["Alpha 3", "Alpha 4", "Beta"]
    assert first.data["leads"]["totalCount"] == 7

    def filtered(**f: Any) -> list[str]:
        return names(graphql(LEADS, {"n": 10, "filter": f}, **manager))

    assert filtered(status=["INVALID"]) == ["Gamma"]
    assert filtered(ownerIsMe=True) == ["Beta"]
    assert filtered(owner=to_global_id("User", user_id("acme.de.sales")))[0] == "Alpha 0"
    assert filtered(country="at") == ["Beta"]
    assert filtered(tag="hot") == ["Beta"]
    assert filtered(campaign="fair") == ["Beta"]
    assert filtered(overdue=True) == ["Beta"]
    assert filtered(search="gam") == ["Gamma"]
    assert filtered(source="WEBSITE", unassigned=True) == ["Gamma"]
    assert filtered(createdBefore=(now - datetime.timedelta(days=1)).isoformat()) == [
        "Beta",
        "Gamma",
    ]
    assert names(
        graphql(LEADS, {"n": 3, "order": {"field": "COMPANY_NAME", "descending": True}}, **manager)
    ) == ["Gamma", "Beta", "Alpha 4"]
    bad = graphql(LEADS, {"n": 10, "filter": {"owner": "nope"}}, **manager)
    assert bad.codes == ["MALFORMED_ID"]
    too_many = graphql(LEADS, {"n": 1000}, **manager)
    assert too_many.codes == ["PAGE_SIZE_TOO_LARGE"]


def test_sales_sees_own_leads_only(de, graphql):
    with schema_context(DE):
        make_lead(company_name="Mine", owner="acme.de.sales")
        other = make_lead(company_name="Theirs", owner="acme.de.manager")
    assert names(graphql(LEADS, {"n": 10}, bu="acme.de", as_="acme.de.sales")) == ["Mine"]
    reply = graphql(ONE, {"id": to_global_id("Lead", other.pk)}, bu="acme.de", as_="acme.de.sales")
    assert reply.codes == ["NOT_FOUND"]


def test_other_bus_and_groups_see_none_of_acme_de_leads(de, graphql, settings):
    # Ids are per BU schema: a high id that no other BU's test lead has.
    with schema_context(DE):
        lead = make_lead(company_name="Secret", owner="acme.de.sales", id=987654)
    gid = to_global_id("Lead", lead.pk)
    settings.REGION = "ap"
    with schema_context("bu_acme_jp"):
        tokyo = make_lead(company_name="Tokyo", owner="acme.jp.sales")
        assert tokyo.pk != lead.pk
    assert names(graphql(LEADS, {"n": 10}, bu="acme.jp", as_="acme.jp.sales")) == ["Tokyo"]
    assert graphql(ONE, {"id": gid}, bu="acme.jp", as_="acme.jp.sales").codes == ["NOT_FOUND"]
    # The group admin in acme.jp sees acme.jp's pool, never acme.de's rows.
    companies = "{ leads(first: 10) { edges { node { companyName } } } }"
    assert names(graphql(companies, bu="acme.jp", as_="acme.admin")) == ["Tokyo"]
    settings.REGION = "cn"
    rival = graphql(LEADS, {"n": 10}, bu="rival.main", as_="rival.admin")
    assert names(rival) == []
    assert graphql(ONE, {"id": gid}, bu="rival.main", as_="rival.admin").codes == ["NOT_FOUND"]
    # A user of acme.de's group asking for acme.de from another group is refused outright.
    settings.REGION = "eu"
    for outsider in ("rival.admin", "acme.jp.sales"):
        refused = graphql(LEADS, {"n": 10}, bu="acme.de", as_=outsider)
        assert not (refused.data or {}).get("leads")
        assert refused.codes in (["NOT_A_MEMBER"], ["PERMISSION_DENIED"]), refused.body


def test_hq_director_sees_the_funnel_without_personal_fields(de, graphql):
    with schema_context(DE):
        make_lead(company_name="Funnel AG", first_name="Max", owner="acme.de.sales")
    reply = graphql(
        """{ leads(first: 5) { edges { node { companyName status firstName email
      phone } } } }""",
        bu="acme.de",
        as_="acme.director",
    )
    node = reply.data["leads"]["edges"][0]["node"]
    assert node == {
        "companyName": "Funnel AG",
        "status": "NEW",
        "firstName": None,
        "email": None,
        "phone": None,
    }
    assert set(reply.codes) == {"FIELD_FORBIDDEN"}
    assert {e["path"][-1] for e in reply.errors} == {"firstName", "email", "phone"}
    # Searching would reveal e-mails: refused.
    search = graphql(
        LEADS, {"n": 5, "filter": {"search": "max"}}, bu="acme.de", as_="acme.director"
    )
    assert search.codes == ["FIELD_FORBIDDEN"]


def test_full_page_costs_the_same_statements_for_one_or_fifty_leads(de, graphql):
    from crm.masterdata.models import Material
    from crm.tenants.leads.models import LeadAssignment

    material_ids = list(
        Material.objects.filter(group_id=de.acme_id).values_list("pk", flat=True)[:3]
    )
    with schema_context(DE):
        fair = campaign(code="fair-sql")
        for i in range(50):
            lead = make_lead(
                owner="acme.de.sales" if i % 2 else "acme.de.manager",
                campaign=fair,
                product_ids=material_ids,
                tags=["x"],
                duplicates=[{"kind": "LEAD", "id": 1, "reason": "EMAIL"}],
                custom={"anything": "1"},
            )
            LeadAssignment.objects.create(lead=lead, to_user_id=lead.owner_id, reason="test")

    def statements(n: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            reply = graphql(FULL, {"n": n}, bu="acme.de", as_="acme.de.manager")
        assert reply.errors == [], reply.errors[:2]
        assert len(reply.data["leads"]["edges"]) == n
        return len(queries)

    statements(1)  # the token's first use writes: out of the count
    assert statements(1) == statements(50)


CAMPAIGN_CREATE = """mutation($code: String!, $names: [TranslationInput!]!, $source: String!,
  $cost: MoneyInput) {
  campaignCreate(code: $code, names: $names, source: $source, cost: $cost) {
    errors { field code } campaign { id code name source { code } cost { amount currency } } } }"""
CAMPAIGN_UPDATE = """mutation($id: ID!, $cost: MoneyInput, $active: Boolean) {
  campaignUpdate(id: $id, cost: $cost, active: $active) {
    errors { field code } campaign { cost { amount currency } active } } }"""
CAMPAIGNS = "{ campaigns { code name cost { amount currency } source { code name } } }"


def test_campaigns_are_kept_by_the_manager_and_translated(de, graphql, settings):
    lead_source("TRADE_FAIR")
    names_ = [
        {"language": "en", "text": "Trade fair Hanover"},
        {"language": "de", "text": "Hannover Messe"},
        {"language": "ja", "text": "ハノーバーメッセ"},
        {"language": "zh-hans", "text": "汉诺威工业博览会"},
    ]
    made = payload(
        graphql(
            CAMPAIGN_CREATE,
            {
                "code": "hm-2026",
                "names": names_,
                "source": "TRADE_FAIR",
                "cost": {"amount": "25000.50", "currency": "EUR"},
            },
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "campaignCreate",
    )
    assert made["errors"] == []
    assert made["campaign"]["cost"] == {"amount": "25000.5000", "currency": "EUR"} or (
        made["campaign"]["cost"]["amount"].startswith("25000.5")
    )
    german = graphql(CAMPAIGNS, bu="acme.de", as_="acme.de.sales", language="de")
    assert german.data["campaigns"][0]["name"] == "Hannover Messe"
    japanese = graphql(CAMPAIGNS, bu="acme.de", as_="acme.de.sales", language="ja")
    assert japanese.data["campaigns"][0]["name"] == "ハノーバーメッセ"
    updated = payload(
        graphql(
            CAMPAIGN_UPDATE,
            {"id": made["campaign"]["id"], "cost": {"amount": "1", "currency": "XXX1"}},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "campaignUpdate",
    )
    assert codes(updated) == [("cost", "UNKNOWN_CURRENCY")]
    again = payload(
        graphql(
            CAMPAIGN_CREATE,
            {"code": "hm-2026", "names": names_, "source": "TRADE_FAIR"},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "campaignCreate",
    )
    assert codes(again) == [("code", "ALREADY_EXISTS")]
    unknown = payload(
        graphql(
            CAMPAIGN_CREATE,
            {"code": "x", "names": names_, "source": "NOPE"},
            bu="acme.de",
            as_="acme.de.manager",
        ),
        "campaignCreate",
    )
    assert codes(unknown) == [("source", "NOT_FOUND")]
    refused = payload(
        graphql(
            CAMPAIGN_CREATE,
            {"code": "y", "names": names_, "source": "TRADE_FAIR"},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "campaignCreate",
    )
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    settings.REGION = "ap"
    assert graphql(CAMPAIGNS, bu="acme.jp", as_="acme.jp.sales").data == {"campaigns": []}


def test_search_and_newest_first_are_served_by_indexes(de):
    """With sequential scans priced out, the planner answers from the leads' indexes: the
    newest-first page from `lead_newest`; a search (row by row scans off too) from the four
    prefix indexes."""
    from crm.graphql.leads.queries import filtered_leads
    from crm.tests.leads.helpers import access_of

    with schema_context(DE), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        access = access_of("acme.de.manager")
        newest = filtered_leads(access, None).order_by("-created_at", "id")[:51].explain()
        assert "lead_newest" in newest, newest
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = filtered_leads(access, {"search": "kraft"}).order_by().explain()
        for column in ("company_name", "last_name", "first_name", "email"):
            assert f"lead_{column}_prefix" in plan, plan


def test_custom_fields_are_captured_shown_and_filtered(de, graphql):
    from crm.tenants.customfields.models import FieldDefinition

    with schema_context(DE):
        FieldDefinition.objects.create(
            record_type="lead",
            code="fleet",
            label="Fleet size",
            label_de="Flottengröße",
            kind="NUMBER",
        )
    capture = """mutation($lead: LeadInput!) { leadCapture(lead: $lead) {
      errors { field code } lead { id customFields { code label number } } } }"""
    made = payload(
        graphql(
            capture,
            {
                "lead": {
                    "lastName": "Fuchs",
                    "companyName": "Flotte AG",
                    "customFields": [{"code": "fleet", "number": "120"}],
                }
            },
            bu="acme.de",
            as_="acme.de.sales",
            language="de",
        ),
        "leadCapture",
    )
    assert made["errors"] == []
    assert made["lead"]["customFields"] == [
        {"code": "fleet", "label": "Flottengröße", "number": "120"}
    ]
    bad = payload(
        graphql(
            capture,
            {"lead": {"lastName": "X", "customFields": [{"code": "fleet", "text": "many"}]}},
            bu="acme.de",
            as_="acme.de.sales",
        ),
        "leadCapture",
    )
    assert codes(bad) == [("customFields.fleet", "INVALID_ARGUMENT")]
    with schema_context(DE):
        make_lead(company_name="Other", owner="acme.de.sales")
    found = graphql(
        LEADS,
        {"n": 10, "filter": {"customFields": [{"code": "fleet", "equals": "120"}]}},
        bu="acme.de",
        as_="acme.de.sales",
    )
    assert names(found) == ["Flotte AG"]
