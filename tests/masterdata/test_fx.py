"""Exchange rates: dated conversions, inverse and cross rates, all-or-nothing CSV import."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from moneyed import Money

from crm.masterdata import fx
from crm.masterdata.models import ExchangeRate
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import round_money
from crm.tenants.models import Group


def test_conversion_names_rate_and_date(world):
    acme = Group.objects.get(pk=world.acme_id)
    result = fx.convert(Money("100", "CNY"), "EUR", group=acme, on=world.today)
    assert result.result == Money(Decimal("12.8"), "EUR")
    assert result.rate.date == world.today
    assert result.rate.rate_type == "SPOT"


def test_inverse_and_cross_rates_go_through_the_group_currency(world):
    acme = Group.objects.get(pk=world.acme_id)
    inverse = fx.rate_for(group=acme, base="EUR", quote="CNY", on=world.today)
    cross = fx.rate_for(group=acme, base="EUR", quote="JPY", on=world.today)
    assert inverse.rate == Decimal(1) / Decimal("0.128")
    assert cross.rate == (Decimal(1) / Decimal("0.128")) * Decimal("21.05")


def test_missing_or_too_old_rate_is_a_typed_error(world):
    acme = Group.objects.get(pk=world.acme_id)
    with pytest.raises(CrmError) as missing:
        fx.rate_for(group=acme, base="CNY", quote="GBP", on=world.today)
    with pytest.raises(CrmError) as too_old:
        fx.rate_for(group=acme, base="CNY", quote="EUR", on=world.today + datetime.timedelta(30))
    assert missing.value.code is ErrorCode.RATE_NOT_FOUND
    assert too_old.value.code is ErrorCode.RATE_NOT_FOUND


def test_unknown_currency_is_a_typed_error(world):
    acme = Group.objects.get(pk=world.acme_id)
    with pytest.raises(CrmError) as error:
        fx.rate_for(group=acme, base="CNY", quote="XYZ", on=world.today)
    assert error.value.code is ErrorCode.UNKNOWN_CURRENCY


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.345", "EUR", "2.35"),
        ("2.344", "EUR", "2.34"),
        ("1234.5", "JPY", "1235"),
        ("-2.345", "EUR", "-2.35"),
        ("1.2345", "KWD", "1.235"),
    ],
)
def test_rounding_is_half_up_to_minor_units(amount, currency, expected):
    assert round_money(Money(amount, currency)).amount == Decimal(expected)


def test_csv_import_writes_all_rates(world):
    acme = Group.objects.get(pk=world.acme_id)
    text = (
        "date,base,quote,rate,type\n2001-01-02,CNY,USD,0.12,SPOT\n2001-01-02,cny,eur,0.11,budget\n"
    )
    assert fx.import_rates_csv(group=acme, text=text, source="test") == 2
    stored = ExchangeRate.objects.get(group=acme, quote="EUR", rate_type="BUDGET")
    assert stored.rate == Decimal("0.11")


@pytest.mark.parametrize(
    ("bad_line", "reason_part"),
    [
        ("2001-13-01,CNY,USD,1", "date"),
        ("2001-01-01,CNY,XYZ,1", "XYZ"),
        ("2001-01-01,CNY,USD,abc", "rate"),
        ("2001-01-01,CNY,USD,-1", "positive"),
        ("2001-01-01,CNY,CNY,1", "same"),
    ],
)
def test_bad_csv_line_is_named_and_nothing_is_written(world, bad_line, reason_part):
    acme = Group.objects.get(pk=world.acme_id)
    before = ExchangeRate.objects.count()
    text = f"date,base,quote,rate\n2001-01-03,CNY,USD,0.12\n{bad_line}\n"
    with pytest.raises(CrmError) as error:
        fx.import_rates_csv(group=acme, text=text, source="test")
    assert error.value.code is ErrorCode.INVALID_RATE_FILE
    assert error.value.params["line"] == 3
    assert reason_part in error.value.params["reason"]
    assert ExchangeRate.objects.count() == before
