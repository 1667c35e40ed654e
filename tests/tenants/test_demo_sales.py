"""`make run`'s demo: the German BU starts with routed leads, an account, a contact and deals."""

from __future__ import annotations

from django_tenants.utils import schema_context


def test_the_german_demo_bu_shows_the_lead_to_deal_flow(world, settings):
    from crm.infra.demo import load_demo
    from crm.tenants.leads.models import Lead, LeadAssignment
    from crm.tenants.opportunities.models import Opportunity

    settings.REGION = "eu"
    group = load_demo()
    load_demo()  # a second load changes nothing
    de = group.business_units.get(code="de")
    with schema_context(de.schema_name):
        leads = list(Lead.objects.order_by("email"))
        assert len(leads) == 3
        assert all("dach" in lead.tags for lead in leads)
        assert {lead.owner.username for lead in leads} <= {"lumina.de.sales", "lumina.de.support"}
        assert LeadAssignment.objects.filter(rule__isnull=False).count() == 3
        deals = {deal.name: deal for deal in Opportunity.objects.all()}
        assert deals["Bedienterminals Linie 3"].stage_code == "quote"
        assert deals["Bedienterminals Linie 3"].amount_group is not None
        assert deals["Ersatzteile 2027"].stage_code == "qualification"
