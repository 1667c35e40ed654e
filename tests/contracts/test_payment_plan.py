"""The payment plan sums exactly to the contract total in its currency's minor units, for many
totals and splits (a seeded random sweep: property-style, reproducible), in EUR, JPY (no minor
unit) and KWD (three); the remainder of rounding goes to the last instalment."""

from __future__ import annotations

import datetime
import itertools
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from moneyed import Money

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import minor_unit_exponent
from crm.tenants.contracts.payments import parse_terms, plan_for, split

CURRENCIES = ("EUR", "JPY", "KWD", "CNY", "USD")


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit_exponent(currency))


def _random_split(rng: random.Random) -> list[Decimal]:
    """1 to 8 positive shares in hundredths of a percent adding up to 100."""
    count = rng.randint(1, 8)
    cuts = sorted(rng.sample(range(1, 10000), count - 1))
    edges = [0, *cuts, 10000]
    return [Decimal(b - a) / 100 for a, b in itertools.pairwise(edges)]


def test_the_example_30_60_10():
    euros = split(Money("1000.01", "EUR"), [Decimal(30), Decimal(60), Decimal(10)])
    assert [m.amount for m in euros] == [Decimal("300.00"), Decimal("600.01"), Decimal("100.00")]
    yen = split(Money("100001", "JPY"), [Decimal(30), Decimal(60), Decimal(10)])
    assert [m.amount for m in yen] == [Decimal("30000"), Decimal("60001"), Decimal("10000")]
    assert sum(m.amount for m in yen) == Decimal("100001")


def test_every_plan_sums_exactly_and_never_goes_negative():
    rng = random.Random(20261202)
    checked = 0
    for _ in range(3000):
        currency = rng.choice(CURRENCIES)
        quantum = _quantum(currency)
        # From a few minor units up to a billion, at the currency's minor units.
        units = rng.choice([rng.randint(0, 20), rng.randint(0, 10**6), rng.randint(0, 10**11)])
        total = Money(Decimal(units) * quantum, currency)
        percents = _random_split(rng)
        parts = split(total, percents)
        amounts = [part.amount for part in parts]
        assert len(parts) == len(percents)
        assert sum(amounts, Decimal(0)) == total.amount, (total, percents)
        assert all(part.currency.code == currency for part in parts)
        assert all(amount >= 0 for amount in amounts), (total, percents, amounts)
        assert all(amount == amount.quantize(quantum) for amount in amounts)
        if (
            sum(
                (total.amount * p / 100).quantize(quantum, rounding=ROUND_HALF_UP)
                for p in percents[:-1]
            )
            <= total.amount
        ):
            # The usual case: every instalment but the last is its share, rounded half up.
            for amount, percent in zip(amounts[:-1], percents[:-1], strict=True):
                expected = (total.amount * percent / 100).quantize(quantum, rounding=ROUND_HALF_UP)
                assert amount == expected
            checked += 1
    assert checked > 2900


def test_tiny_totals_split_many_ways_take_units_back_from_earlier_instalments():
    # 0.05 EUR in 30/30/30/10: three shares of 0.015 round up to 0.02 each, 0.06 > 0.05.
    parts = split(Money("0.05", "EUR"), [Decimal(30), Decimal(30), Decimal(30), Decimal(10)])
    assert [p.amount for p in parts] == [
        Decimal("0.02"),
        Decimal("0.02"),
        Decimal("0.01"),
        Decimal("0.00"),
    ]


def test_due_dates_follow_the_terms_from_the_signing_day():
    shares = parse_terms(
        [{"percent": "30", "days": 0}, {"percent": "60", "days": 30}, {"percent": "10", "days": 90}]
    )
    signed = datetime.date(2026, 12, 2)
    plan = plan_for(Money("12345", "JPY"), shares, signed)
    assert [due for _share, due, _amount in plan] == [
        signed,
        datetime.date(2027, 1, 1),
        datetime.date(2027, 3, 2),
    ]
    assert [amount.amount for _share, _due, amount in plan] == [
        Decimal("3704"),  # 3703.5 up
        Decimal("7407"),
        Decimal("1234"),
    ]


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ([], "paymentTerms"),
        ([{"percent": "50", "days": 0}, {"percent": "49", "days": 30}], "paymentTerms"),
        ([{"percent": "0", "days": 0}, {"percent": "100", "days": 30}], "paymentTerms[0].percent"),
        ([{"percent": "100.001", "days": 0}], "paymentTerms[0].percent"),
        ([{"percent": "100", "days": -1}], "paymentTerms[0].days"),
        ([{"percent": "50", "days": 30}, {"percent": "50", "days": 0}], "paymentTerms[1].days"),
        ([{"percent": "abc", "days": 0}], "paymentTerms[0].percent"),
        ([{"percent": "100"}], "paymentTerms[0]"),
    ],
)
def test_bad_payment_terms_are_refused_naming_the_part(terms, field):
    with pytest.raises(CrmError) as refused:
        parse_terms(terms)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_ARGUMENT, field)
