"""`convert`: an amount at the group's rate of a named date and type, rounded to minor units."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crm.masterdata.models import ExchangeRate

CONVERT = """
query($amount: Decimal!, $currency: String!, $to: String!, $on: Date!, $type: RateType) {
  convert(amount: $amount, currency: $currency, to: $to, on: $on, rateType: $type) {
    source { amount currency } result { amount currency } rate rateType rateDate } }
"""


def test_spot_is_the_default_and_the_result_is_rounded(world, graphql):
    today = world.today.isoformat()
    reply = graphql(
        CONVERT, {"amount": "1000", "currency": "CNY", "to": "JPY", "on": today}, as_="acme.steward"
    )
    assert reply.errors == []
    converted = reply.data["convert"]
    assert converted["result"] == {"amount": "21050", "currency": "JPY"}  # JPY has no minor unit
    assert (converted["rateType"], converted["rateDate"]) == ("SPOT", today)


def test_the_chosen_rate_type_and_its_date_are_used(world, graphql, settings):
    settings.REGION = "eu"
    ExchangeRate.objects.create(
        group_id=world.acme_id,
        base="CNY",
        quote="EUR",
        date=datetime.date(2026, 3, 31),
        rate=Decimal("0.125"),
        rate_type="BUDGET",
    )
    reply = graphql(
        CONVERT,
        {"amount": "80.10", "currency": "EUR", "to": "CNY", "on": "2026-06-30", "type": "BUDGET"},
        as_="acme.de.sales",
        bu="acme.de",
    )
    assert reply.errors == [], reply.errors
    converted = reply.data["convert"]
    assert converted["result"] == {"amount": "640.80", "currency": "CNY"}  # 80.10 / 0.125
    assert (converted["rateType"], converted["rateDate"]) == ("BUDGET", "2026-03-31")


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"currency": "XYZ"}, "UNKNOWN_CURRENCY", "currency"),
        ({"to": "ABC"}, "UNKNOWN_CURRENCY", "to"),
        ({"on": "1999-01-01"}, "RATE_NOT_FOUND", None),
        ({"type": "MONTH_AVERAGE"}, "RATE_NOT_FOUND", None),
        ({"amount": "0.00001"}, "INVALID_ARGUMENT", "amount"),
    ],
)
def test_bad_input_is_a_typed_error(world, graphql, settings, variables, code, field):
    settings.REGION = "eu"
    base = {"amount": "10", "currency": "EUR", "to": "CNY", "on": world.today.isoformat()}
    reply = graphql(CONVERT, {**base, **variables}, as_="acme.de.sales", bu="acme.de")
    assert reply.codes == [code]
    assert reply.errors[0]["extensions"].get("field") == field
    assert reply.data["convert"] is None


def test_conversion_uses_only_the_callers_group_rates(world, graphql):
    """The rival group has no CNY→EUR rate: acme's rates are not theirs."""
    reply = graphql(
        CONVERT,
        {"amount": "10", "currency": "CNY", "to": "EUR", "on": world.today.isoformat()},
        bu="rival.main",
    )
    assert reply.codes == ["RATE_NOT_FOUND"]


def test_unauthenticated_callers_are_refused(world, graphql):
    reply = graphql(
        CONVERT,
        {"amount": "10", "currency": "CNY", "to": "EUR", "on": world.today.isoformat()},
        as_=None,
    )
    assert reply.codes == ["UNAUTHENTICATED"]
