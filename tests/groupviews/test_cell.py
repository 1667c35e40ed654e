"""A cell's part of a group view: only its own BUs of the group, exact amounts in the group
currency, past pipelines rebuilt from the deals' trail, leads per source, no personal data."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.platform.accounts.models import User
from crm.regions.federation import cell
from crm.regions.federation.aggregates import receivables
from crm.regions.federation.contract import (
    AggregateRequest,
    ContractError,
    aggregate_named,
    end_of_day,
)
from crm.tenants.leads.models import LeadStatus
from crm.tenants.opportunities import services
from crm.tenants.opportunities.models import Opportunity, OpportunityEvent
from crm.tests.groupviews.helpers import (
    answer_of,
    as_json,
    hq_today,
    period,
    pipeline_at,
    strings_in,
)
from crm.tests.leads.helpers import make_lead
from crm.tests.opportunities.helpers import access_of, make_deal

DE, JP, HQ = "bu_acme_de", "bu_acme_jp", "bu_acme_hq"


def rows_by_stage(answer: dict) -> dict[str, dict]:
    return {row["stage"]: row for row in answer["rows"]}


def test_a_cell_counts_only_its_own_business_units_of_the_group(world):
    make_deal(amount="1000.00")  # acme.de, EUR
    make_deal(amount="100000", as_="acme.jp.sales", bu="jp")  # acme.jp, JPY
    eu, ap = answer_of("eu"), answer_of("ap")
    assert eu["business_units"] == ["de"]
    assert ap["business_units"] == ["jp"]
    assert {row["business_unit"] for row in eu["rows"]} == {"de"}
    assert {row["business_unit"] for row in ap["rows"]} == {"jp"}
    assert rows_by_stage(eu)["qualification"]["count"] == 1
    assert rows_by_stage(ap)["qualification"]["count"] == 1
    # The HQ cell's own BUs: acme.hq only (rival's BU in cn is another group).
    cn = answer_of("cn")
    assert cn["business_units"] == ["hq"]
    assert sum(row["count"] for row in cn["rows"]) == 0
    assert answer_of("cn", group="rival")["business_units"] == ["main"]


def test_amounts_are_the_stored_group_amounts_summed_exactly(world):
    first = make_deal(amount="1000.00")
    second = make_deal(amount="250.50")
    unconverted = make_deal(amount=None)
    make_deal(stage="won", amount="999.00")  # closed: not in the pipeline
    make_deal(stage="lost", amount="999.00")
    # CNY -> EUR is 0.128 in the world: 1 EUR = 7.8125 CNY.
    assert first.amount_group == Decimal("7812.5000")
    assert second.amount_group == Decimal("1957.0300")  # 1957.03125 rounded half up
    assert unconverted.amount_group is None
    answer = answer_of("eu")
    assert answer["currency"] == "CNY"
    row = rows_by_stage(answer)["qualification"]
    assert row["count"] == 3
    assert row["amount"] == "9769.53"
    assert row["without_group_amount"] == 1
    assert Decimal(row["amount"]) == first.amount_group + second.amount_group
    assert {r["stage"] for r in answer["rows"]} >= {"qualification", "negotiation"}
    assert "won" not in rows_by_stage(answer)
    assert rows_by_stage(answer)["negotiation"]["amount"] == "0.00"


def test_each_open_stage_has_its_row_with_position_and_template(world):
    make_deal(stage="quote", amount="10.00")
    rows = answer_of("eu")["rows"]
    assert [row["position"] for row in rows] == sorted(row["position"] for row in rows)
    quote = next(row for row in rows if row["stage"] == "quote")
    assert quote["count"] == 1
    assert quote["amount"] == "78.13"  # 78.125 half up
    assert quote["stage_template"] == "quote"
    assert quote["pipeline"] == "standard"
    assert quote["stage_name"]  # in the BU's language


def _backdate(deal: Opportunity, when: datetime.datetime) -> None:
    with schema_context(DE):
        Opportunity.objects.filter(pk=deal.pk).update(created_at=when)
        OpportunityEvent.objects.filter(opportunity=deal).update(at=when)


def test_a_past_pipeline_is_rebuilt_from_the_trail_of_stage_moves(world):
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    today = hq_today()
    moved = make_deal(amount="100.00")
    _backdate(moved, ten_days_ago)
    closed = make_deal(amount="200.00")
    _backdate(closed, ten_days_ago)
    young = make_deal(amount="400.00")  # created today: not there five days ago
    access = access_of("acme.de.sales")
    with schema_context(DE):
        services.advance(access, moved, "needs_analysis", "moved today")
        services.close(access, closed, outcome="LOST", reason_code="PRICE")
    now = rows_by_stage(answer_of("eu", as_of=today))
    assert now["qualification"]["count"] == 1  # young
    assert now["needs_analysis"]["count"] == 1  # moved
    then = rows_by_stage(answer_of("eu", as_of=today - datetime.timedelta(days=5)))
    assert then["qualification"]["count"] == 2  # moved and closed, both still there then
    assert then["needs_analysis"]["count"] == 0
    assert Decimal(then["qualification"]["amount"]) == moved.amount_group + closed.amount_group
    before = rows_by_stage(answer_of("eu", as_of=today - datetime.timedelta(days=20)))
    assert sum(row["count"] for row in before.values()) == 0
    assert young.pk


def test_leads_are_counted_per_source_in_the_period(world):
    won = make_deal(stage="won", amount="5.00")
    now = timezone.now()
    with schema_context(DE):
        make_lead(source="WEBSITE")
        make_lead(source="WEBSITE", status=LeadStatus.CONTACTED)
        make_lead(source="WEBSITE", status=LeadStatus.INVALID)
        make_lead(source="TRADE_FAIR", status=LeadStatus.CONVERTED, opportunity_id=won.pk)
        make_lead(source="TRADE_FAIR", status=LeadStatus.CONVERTED)  # its deal not won
        make_lead(source=None)
        make_lead(source="WEBSITE", created_at=now - datetime.timedelta(days=40))  # before
    with schema_context(JP):
        make_lead(source="WEBSITE")
    today = hq_today()
    week = period(today - datetime.timedelta(days=7), today)
    answer = answer_of("eu", "lead_sources", parameters=week)
    by_source = {row["source"]: row for row in answer["rows"]}
    assert set(by_source) == {"WEBSITE", "TRADE_FAIR", None}
    assert by_source["WEBSITE"] == {
        "business_unit": "de",
        "source": "WEBSITE",
        "leads": 3,
        "open": 2,
        "converted": 0,
        "invalid": 1,
        "won": 0,
    }
    assert by_source["TRADE_FAIR"]["converted"] == 2
    assert by_source["TRADE_FAIR"]["won"] == 1
    assert by_source[None]["leads"] == 1
    widened = answer_of(
        "eu", "lead_sources", parameters=period(today - datetime.timedelta(days=60), today)
    )
    assert {r["source"]: r["leads"] for r in widened["rows"]}["WEBSITE"] == 4


def test_the_answer_carries_no_personal_data(world):
    access = access_of("acme.de.sales")
    deal = make_deal(amount="10.00", name="Angebot Frau Erika Mustermann")
    with schema_context(DE):
        lead = make_lead(
            owner="acme.de.sales",
            first_name="Erika",
            last_name="Mustermann",
            email="erika.mustermann@example.de",
            phone="+49 30 1234567",
            company_name="Mustermann Feinmechanik",
        )
    owner = User.objects.get(username="acme.de.sales")
    today = hq_today()
    answers = [answer_of("eu"), answer_of("eu", "lead_sources", parameters=period(today, today))]
    personal = {
        "Erika",
        "Mustermann",
        "erika.mustermann@example.de",
        "+49 30 1234567",
        owner.username,
        deal.name,
        deal.account.local_name,
    }
    allowed_keys = {
        *aggregate_named("pipeline").row_fields,
        *aggregate_named("lead_sources").row_fields,
        "contract",
        "region",
        "group",
        "aggregate",
        "as_of",
        "currency",
        "business_units",
        "available",
        "reason",
        "rows",
    }
    for answer in answers:
        text = as_json(answer)
        for value in personal:
            assert value not in text
        assert set(answer) | {k for row in answer["rows"] for k in row} <= allowed_keys
        for word in ("owner", "email", "phone", "name", "user"):
            keys = {k for row in answer["rows"] for k in row}
            assert not any(word in key and key != "stage_name" for key in keys)
        assert all(s not in personal for s in strings_in(answer))
    assert lead.pk
    assert access


def test_receivables_are_unavailable_without_a_provider_never_zero(world):
    previous = receivables.set_provider(None)  # the ledger app provides it in every cell
    try:
        answer = answer_of("eu", "receivables")
    finally:
        receivables.set_provider(previous)
    assert answer["available"] is False
    assert answer["reason"] == "NO_PROVIDER"
    assert answer["rows"] == []


def test_a_registered_receivables_provider_fills_the_contract(world):
    """The hook quote-to-cash will implement: called per BU in its schema, rows by golden code."""
    deal = make_deal(amount="10.00")
    golden = deal.account.customer_id
    seen = []

    def provider(business_unit, as_of, *, customer_ids=None):
        seen.append((business_unit.code, as_of))
        return [receivables.CustomerExposure(golden, Decimal("1200.005"), Decimal("300"))]

    previous = receivables.set_provider(provider)
    try:
        answer = answer_of("eu", "receivables", as_of=datetime.date(2026, 3, 1))
    finally:
        receivables.set_provider(previous)
    from crm.masterdata.customers.models import Customer

    assert seen == [("de", datetime.date(2026, 3, 1))]
    assert answer["available"] is True
    assert answer["rows"] == [
        {
            "business_unit": "de",
            "customer": Customer.objects.get(pk=golden).code,
            "open_receivables": "1200.01",
            "open_orders": "300.00",
        }
    ]


def test_a_request_for_another_cell_or_an_unknown_group_is_refused(world):
    today = hq_today()
    with pytest.raises(cell.RefusedError) as other:
        cell.answer(AggregateRequest("acme", "pipeline", pipeline_at(today), today, "eu"))
    assert other.value.refusal == "OTHER_CELL"
    with pytest.raises(cell.RefusedError) as unknown:
        answer_of("eu", group="nobody")
    assert unknown.value.refusal == "GROUP_NOT_FOUND"


@pytest.mark.parametrize(
    ("aggregate", "parameters"),
    [
        ("pipeline", {}),
        ("pipeline", {"at": "2026-01-01T00:00:00"}),  # no offset
        ("pipeline", {"at": "2026-01-01T00:00:00+08:00", "x": 1}),
        ("lead_sources", {}),
        (
            "lead_sources",
            {"since": "2026-02-01T00:00:00+00:00", "until": "2026-01-01T00:00:00+00:00"},
        ),
        ("lead_sources", {"since": "yesterday", "until": "2026-01-01T00:00:00+00:00"}),
        (
            "lead_sources",
            {"since": "2000-01-01T00:00:00+00:00", "until": "2026-01-01T00:00:00+00:00"},
        ),
        ("receivables", {"x": 1}),
        ("nothing", {}),
    ],
)
def test_bad_parameters_or_an_unknown_aggregate_are_contract_errors(world, aggregate, parameters):
    with pytest.raises(ContractError):
        answer_of("eu", aggregate, parameters=parameters)


def test_every_cell_is_cut_at_the_end_of_the_day_where_hq_is(world):
    """Half past eleven in Shanghai is half past midnight in Tokyo: a Japanese deal made then
    belongs to HQ's day, like every other BU's."""
    yesterday = hq_today() - datetime.timedelta(days=1)
    late = end_of_day(yesterday, "Asia/Shanghai") - datetime.timedelta(minutes=30)
    deal = make_deal(amount="100000", as_="acme.jp.sales", bu="jp")
    with schema_context(JP):
        Opportunity.objects.filter(pk=deal.pk).update(created_at=late)
        OpportunityEvent.objects.filter(opportunity=deal).update(at=late)
    then = rows_by_stage(answer_of("ap", as_of=yesterday))
    assert then["qualification"]["count"] == 1
    assert then["qualification"]["amount"] == str(deal.amount_group.quantize(Decimal("0.01")))
    before = rows_by_stage(answer_of("ap", as_of=yesterday - datetime.timedelta(days=1)))
    assert before["qualification"]["count"] == 0
