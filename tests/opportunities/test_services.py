"""The deal services directly: creation, stage gates, closing, defaults installed per BU."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.masterdata.sales.models import (
    CloseReason,
    LeadSource,
    PipelineTemplate,
    ProbabilityBand,
    ScoreCriterion,
)
from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.opportunities import services
from crm.tenants.opportunities.access import DEFAULT_STAGES
from crm.tenants.opportunities.models import OpportunityEvent, Pipeline
from crm.tenants.setup import set_up_business_unit, set_up_group
from crm.tests.opportunities.helpers import access_of, make_account, make_deal, material_ids


def test_every_group_and_bu_gets_the_defaults(world: Any) -> None:
    acme = access_of("acme.de.sales").business_unit.group
    assert set(LeadSource.objects.filter(group=acme).values_list("code", flat=True)) == {
        "TRADE_FAIR",
        "WEBSITE",
        "DISTRIBUTOR",
        "REFERRAL",
        "COLD_CALL",
        "EMAIL_CAMPAIGN",
        "PARTNER",
    }
    template = PipelineTemplate.objects.get(group=acme, code="standard")
    assert tuple(template.stages.values_list("code", flat=True)) == DEFAULT_STAGES
    assert ScoreCriterion.objects.filter(group=acme).count() == 6
    assert ProbabilityBand.objects.filter(group=acme).count() == 6
    assert CloseReason.objects.filter(group=acme, kind="LOST").count() == 5
    assert template.stages.get(code="quote").name_de == "Angebot"
    for bu, group in (("de", "acme"), ("jp", "acme"), ("main", "rival")):
        with schema_context(f"bu_{group}_{bu}"):
            pipeline = Pipeline.objects.get(is_default=True)
            assert pipeline.template_id is not None
            codes = list(pipeline.stages.values_list("code", flat=True))
            assert tuple(codes) == DEFAULT_STAGES
            assert pipeline.stages.get(code="solution").name_ja == "ソリューション提案"


def test_installers_are_idempotent_and_keep_bu_changes(world: Any) -> None:
    access = access_of("acme.de.manager")
    with schema_context(access.business_unit.schema_name):
        stage = Pipeline.objects.get(is_default=True).stages.get(code="quote")
        stage.name_de = "Unser Angebot"
        stage.save()
    set_up_group(access.business_unit.group)
    set_up_business_unit(access.business_unit)
    assert LeadSource.objects.filter(group=access.business_unit.group).count() == 7
    with schema_context(access.business_unit.schema_name):
        pipeline = Pipeline.objects.get(is_default=True)
        assert Pipeline.objects.count() == 1
        assert pipeline.stages.count() == 7
        assert pipeline.stages.get(code="quote").name_de == "Unser Angebot"


def test_create_and_advance_through_the_gates(world: Any) -> None:
    access = access_of("acme.de.sales")
    with schema_context(access.business_unit.schema_name):
        deal = services.create_opportunity(
            access, name="Panels for Köln", account=make_account(access)
        )
        assert (deal.stage_code, deal.status, deal.probability) == ("qualification", "OPEN", 10)
        assert deal.currency == "EUR"
        deal = services.advance(access, deal, "needs_analysis", "call went well")
        with pytest.raises(CrmError) as refused:
            services.advance(access, deal, "quote")
        assert refused.value.code == ErrorCode.STAGE_CONDITIONS_NOT_MET
        assert refused.value.params["stage"] == "solution"
        assert [e.kind for e in OpportunityEvent.objects.filter(opportunity=deal)] == [
            "CREATED",
            "STAGE",
        ]


def test_helper_reaches_every_stage(world: Any) -> None:
    for code in ("needs_analysis", "solution", "quote", "negotiation", "won", "lost"):
        deal = make_deal(stage=code)
        expected = {"won": "won", "lost": "lost"}.get(code, code)
        assert deal.stage_code == expected
    assert material_ids(access_of("acme.de.sales"))


def test_a_stage_hq_adds_later_reaches_each_bu_on_the_next_run(world: Any) -> None:
    from crm.masterdata.sales.models import StageTemplate

    access = access_of("acme.de.manager")
    template = PipelineTemplate.objects.get(group=access.business_unit.group, code="standard")
    StageTemplate.objects.create(
        template=template,
        code="proof_of_concept",
        name="Proof of concept",
        name_en="Proof of concept",
        name_de="Machbarkeitsnachweis",
        position=35,
        probability=50,
        required_activities=["VISIT"],
    )
    with schema_context(access.business_unit.schema_name):
        quote = Pipeline.objects.get(is_default=True).stages.get(code="quote")
        quote.probability = 65
        quote.save()
    set_up_business_unit(access.business_unit)
    with schema_context(access.business_unit.schema_name):
        pipeline = Pipeline.objects.get(is_default=True)
        codes = list(pipeline.stages.order_by("position").values_list("code", flat=True))
        assert codes.index("solution") < codes.index("proof_of_concept") < codes.index("quote")
        added = pipeline.stages.get(code="proof_of_concept")
        assert (added.name_de, added.required_activities) == ("Machbarkeitsnachweis", ["VISIT"])
        assert pipeline.stages.get(code="quote").probability == 65


def test_refreshing_conversions_after_a_rate_arrives(world: Any) -> None:
    import datetime
    from decimal import Decimal

    from crm.masterdata.models import ExchangeRate

    access = access_of("acme.de.sales")
    day = datetime.date(2026, 9, 14)
    with schema_context(access.business_unit.schema_name):
        deal = services.create_opportunity(
            access,
            name="Herbst",
            account=make_account(access),
            amount="100",
            expected_close=day,
        )
        assert deal.amount_group is None
        assert deal.amount_bu == Decimal("100.00")
    ExchangeRate.objects.create(
        group=access.business_unit.group,
        base="CNY",
        quote="EUR",
        date=day - datetime.timedelta(days=3),
        rate=Decimal("0.1"),
    )
    with schema_context(access.business_unit.schema_name):
        assert (
            services.refresh_conversions(
                access.business_unit, since=day - datetime.timedelta(days=3)
            )
            == 1
        )
        deal.refresh_from_db()
        assert deal.amount_group == Decimal("1000.00")
        assert deal.fx_rate_group_date == day - datetime.timedelta(days=3)
        assert services.refresh_conversions(access.business_unit) == 0
