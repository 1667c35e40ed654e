"""Customer distribution: the BU's accounts by their golden customer's industry, country and
grade, with shares and names in the caller's language; a salesperson's own accounts; unknown
golden records counted as unknown (never another group's); nothing of another BU or group."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.masterdata.customers.models import Customer
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tests.insights.helpers import account_of, holder
from crm.tests.ledger.helpers import DE
from crm.tests.relationships.helpers import business_unit, golden

SHARES = "key label accounts share"
DISTRIBUTION = f"""{{ customerDistribution {{ total
  byIndustry {{ {SHARES} }} byCountry {{ {SHARES} }} byGrade {{ {SHARES} }}
  cells {{ industry country countryName grade gradeName accounts }} }} }}"""


def ask(graphql, username="acme.de.manager", bu="acme.de", language="en"):
    return graphql(DISTRIBUTION, bu=bu, as_=username, language=language)


@pytest.fixture
def accounts(world, settings):
    settings.REGION = "eu"
    with schema_context(DE):
        for _ in range(3):
            account_of("acme.de.sales", industry="Automotive", country="DE", grade="A")
        for _ in range(2):
            account_of("acme.de.manager", industry="Automotive", country="FR", grade="B")
        account_of("acme.de.manager", industry="", country="JP", grade="C")
        account_of("acme.de.manager", industry="Machinery", country="DE", grade="C")
        # A golden record this cell does not hold, and one of another group: both unknown.
        LocalCustomer.objects.create(customer_id=987_654_321, local_code="INS-GONE")
        rival = golden(business_unit("rival.main").group_id, "RIVAL-1", "Rival Kunde", "US")
        LocalCustomer.objects.create(customer_id=rival.pk, local_code="INS-RIVAL")


def shares(found, dimension):
    return [(s["key"], s["accounts"], s["share"]) for s in found[dimension]]


def test_accounts_by_industry_country_and_grade(graphql, accounts):
    reply = ask(graphql)
    assert reply.errors == []
    found = reply.data["customerDistribution"]
    assert found["total"] == 9
    assert shares(found, "byIndustry") == [
        ("Automotive", 5, "0.5556"),
        (None, 3, "0.3333"),
        ("Machinery", 1, "0.1111"),
    ]
    assert shares(found, "byCountry") == [
        ("DE", 4, "0.4444"),
        ("FR", 2, "0.2222"),
        (None, 2, "0.2222"),
        ("JP", 1, "0.1111"),
    ]
    assert [s["label"] for s in found["byCountry"]] == ["Germany", "France", None, "Japan"]
    assert shares(found, "byGrade") == [
        ("A", 3, "0.3333"),
        ("B", 2, "0.2222"),
        ("C", 2, "0.2222"),
        (None, 2, "0.2222"),
    ]
    assert [s["label"] for s in found["byGrade"]] == ["A", "B", "C", None]
    cells = {(c["industry"], c["country"], c["grade"]): c for c in found["cells"]}
    assert {key: cell["accounts"] for key, cell in cells.items()} == {
        ("Automotive", "DE", "A"): 3,
        ("Automotive", "FR", "B"): 2,
        (None, "JP", "C"): 1,
        ("Machinery", "DE", "C"): 1,
        (None, None, None): 2,
    }
    assert cells[("Automotive", "FR", "B")]["countryName"] == "France"
    assert found["cells"][0]["accounts"] == 3  # most first
    assert "RIVAL" not in str(found)
    assert "US" not in {c["country"] for c in found["cells"]}


def test_names_in_the_callers_language(graphql, accounts):
    found = ask(graphql, language="de").data["customerDistribution"]
    labels = {s["key"]: s["label"] for s in found["byCountry"]}
    assert (labels["DE"], labels["FR"], labels["JP"]) == ("Deutschland", "Frankreich", "Japan")
    japanese = ask(graphql, language="ja").data["customerDistribution"]
    assert {s["key"]: s["label"] for s in japanese["byCountry"]}["DE"] == "ドイツ"


def test_a_salesperson_sees_the_accounts_they_look_after(graphql, accounts):
    found = ask(graphql, "acme.de.sales").data["customerDistribution"]
    assert found["total"] == 3
    assert shares(found, "byIndustry") == [("Automotive", 3, "1.0000")]


@pytest.mark.parametrize("username", ["acme.de.finance", "acme.director", "acme.auditor"])
def test_finance_and_hq_see_every_account(graphql, accounts, username):
    assert ask(graphql, username).data["customerDistribution"]["total"] == 9


@pytest.mark.parametrize("username", ["acme.de.legal", "acme.steward"])
def test_others_are_refused(graphql, accounts, username):
    reply = ask(graphql, username)
    assert reply.codes == ["PERMISSION_DENIED"]
    assert reply.data is None


def test_another_business_unit_or_group_sees_nothing_of_them(graphql, accounts, settings):
    settings.REGION = "ap"
    found = ask(graphql, holder("bu_manager", "acme.jp"), bu="acme.jp").data
    assert found["customerDistribution"] == {
        "total": 0,
        "byIndustry": [],
        "byCountry": [],
        "byGrade": [],
        "cells": [],
    }
    settings.REGION = "cn"
    rival = ask(graphql, "rival.admin", bu="rival.main").data["customerDistribution"]
    assert rival["total"] == 0
    assert Customer.objects.filter(code="RIVAL-1").exists()  # it is there, just not theirs
