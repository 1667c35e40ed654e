"""Custom fields through a real record API (the leads list): typed values, range and equality
filters, and the policy on `custom_fields` for reading and filtering."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.tests.customfields.helpers import DE, access_for, make

LEADS = """
query($filter: LeadFilter) {
  leads(first: 10, filter: $filter, orderBy: {field: CREATED_AT}) {
    edges { node { lastName customFields { code label number choices choiceLabels } } }
  }
}
"""
OPTIONS = [{"code": "OEM", "labels": {"en": "OEM", "de": "Erstausrüster"}}]


@pytest.fixture
def leads(world: Any, settings: Any) -> Any:
    from crm.tenants.customfields.services import clean_custom
    from crm.tenants.leads.models import Lead

    settings.REGION = "eu"
    with schema_context(DE):
        make(code="seats", kind="NUMBER", filterable=True, label_de="Plätze", position=1)
        make(code="segment", kind="CHOICE", options=OPTIONS, position=2)
        for name, seats in (("Adler", "5"), ("Berg", "50"), ("Conrad", "500")):
            values = {"seats": seats, "segment": "OEM" if seats != "50" else None}
            Lead.objects.create(last_name=name, custom=clean_custom("lead", values))


def nodes(graphql: Any, custom: list[dict[str, Any]] | None, **kw: Any) -> Any:
    reply = graphql(LEADS, {"filter": {"customFields": custom}}, bu="acme.de", **kw)
    return reply


def test_leads_are_filtered_and_show_typed_translated_values(leads: Any, graphql: Any) -> None:
    reply = nodes(graphql, [{"code": "seats", "min": "10"}], as_="acme.de.manager")
    assert reply.errors == [], reply.errors
    found = [edge["node"] for edge in reply.data["leads"]["edges"]]
    assert found == [
        {
            "lastName": "Berg",
            "customFields": [
                {
                    "code": "seats",
                    "label": "Plätze",
                    "number": "50",
                    "choices": None,
                    "choiceLabels": None,
                },
            ],
        },
        {
            "lastName": "Conrad",
            "customFields": [
                {
                    "code": "seats",
                    "label": "Plätze",
                    "number": "500",
                    "choices": None,
                    "choiceLabels": None,
                },
                {
                    "code": "segment",
                    "label": "segment",
                    "number": None,
                    "choices": ["OEM"],
                    "choiceLabels": ["Erstausrüster"],
                },
            ],
        },
    ]
    both = nodes(
        graphql,
        [{"code": "segment", "equals": "OEM"}, {"code": "seats", "max": "100"}],
        as_="acme.de.manager",
    )
    assert [e["node"]["lastName"] for e in both.data["leads"]["edges"]] == ["Adler"]


def test_a_hidden_custom_fields_policy_hides_values_and_refuses_filters(
    leads: Any, graphql: Any
) -> None:
    from crm.platform.permissions.defaults import LEAD_SYSTEM
    from crm.platform.permissions.policy import RuleChange, policy_update

    policy_update(
        access=access_for("acme.admin", bu="hq"),
        changes=[
            RuleChange(
                object_type="lead",
                role="bu_manager",
                stage="",
                scope="bu",
                actions=("view", "create", "edit", "advance", "retreat", "assign", "export"),
                default_field_mode="write",
                field_modes={**LEAD_SYSTEM, "custom_fields": "hidden"},
            )
        ],
        note="custom fields are confidential",
    )
    listed = nodes(graphql, None, as_="acme.de.manager")
    edges = listed.data["leads"]["edges"]
    assert [e["node"]["customFields"] for e in edges] == [None, None, None]
    assert set(listed.codes) == {"FIELD_FORBIDDEN"}
    assert len(listed.errors) == 3
    filtered = nodes(graphql, [{"code": "seats", "min": "10"}], as_="acme.de.manager")
    assert filtered.data is None or filtered.data["leads"] is None
    assert filtered.codes == ["FIELD_FORBIDDEN"]
