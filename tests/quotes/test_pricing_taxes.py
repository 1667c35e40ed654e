"""The one rounding rule per line, totals as sums of lines, and tax rates as data: chosen by
code, by material category (nearest parent first) or by default, each valid on the quote date."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.masterdata.models import Material, MaterialCategory
from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.quotes import pricing, taxes
from crm.tenants.quotes.models import QuoteLine, TaxRate
from crm.tests.opportunities.helpers import access_of
from crm.tests.quotes.helpers import lines, schema, standard_taxes


def line(unit: str, quantity: str, discount: str = "0", rate: str = "19") -> QuoteLine:
    record = QuoteLine(
        unit_price=Decimal(unit),
        quantity=Decimal(quantity),
        discount=Decimal(discount),
        tax_rate=Decimal(rate),
    )
    pricing.reprice(record, header_discount=Decimal(0), currency="EUR")
    return record


def test_each_line_is_rounded_half_up_then_the_lines_are_summed():
    # 10.05 × 1.5 = 15.075 → 15.08; its tax 2.8652 → 2.87.
    one = line("10.05", "1.5")
    assert (one.list_amount, one.net_amount, one.tax_amount, one.gross_amount) == (
        Decimal("15.08"),
        Decimal("15.08"),
        Decimal("2.87"),
        Decimal("17.95"),
    )
    total = pricing.totals([one, line("10.05", "1.5"), line("10.05", "1.5")])
    # Three rounded lines: 45.24, not the rounded 45.225 of the unrounded sum (45.23).
    assert total.net == Decimal("45.24")
    assert total.tax == Decimal("8.61")
    assert total.gross == total.net + total.tax == Decimal("53.85")
    assert total.cost is None
    assert total.margin is None


def test_yen_amounts_are_whole_and_half_a_yen_goes_up():
    record = QuoteLine(
        unit_price=Decimal("105"),
        quantity=Decimal("1"),
        discount=Decimal("10"),  # 94.5 → 95
        tax_rate=Decimal("10"),  # 9.5 → 10
    )
    pricing.reprice(record, header_discount=Decimal(0), currency="JPY")
    assert (record.net_amount, record.tax_amount, record.gross_amount) == (
        Decimal("95"),
        Decimal("10"),
        Decimal("105"),
    )


def test_discounts_compound_into_one_effective_discount():
    assert pricing.effective_discount(Decimal("10"), Decimal("5")) == Decimal("14.500")
    assert pricing.effective_discount(Decimal("0"), Decimal("0")) == Decimal("0.000")
    assert pricing.effective_discount(Decimal("33.33"), Decimal("33.33")) == Decimal("55.551")


def _price(access: Any, on: datetime.date, codes: list[str], tax_code: str = "") -> list[QuoteLine]:
    inputs = lines(codes, ["1"] * len(codes))
    if tax_code:
        inputs = [
            pricing.LineInput(i.material_id, i.quantity, i.discount, tax_code) for i in inputs
        ]
    with schema_context(schema()):
        return pricing.price_lines(
            access=access, on=on, currency="EUR", header_discount=Decimal(0), inputs=inputs
        )


def test_a_lines_tax_rate_is_its_categorys_else_the_default(world):
    standard_taxes("de")
    group_id = world.acme_id
    reduced = MaterialCategory.objects.get(group_id=group_id, code="REDUCED")
    child = MaterialCategory.objects.create(
        group_id=group_id, code="REDUCED-CHILD", name_en="Child", parent=reduced
    )
    Material.objects.filter(code="M-002", group_id=group_id).update(category=child)
    access = access_of("acme.de.manager")
    first, second = _price(access, world.today, ["M-001", "M-002"])
    assert (first.tax_code, first.tax_rate) == ("standard", Decimal("19"))
    assert (second.tax_code, second.tax_rate) == ("reduced", Decimal("7"))  # the parent's
    explicit = _price(access, world.today, ["M-001"], tax_code="reduced")[0]
    assert explicit.tax_rate == Decimal("7")


def test_a_rate_applies_within_its_validity_window(world):
    with schema_context(schema()):
        TaxRate.objects.create(
            code="standard",
            name="Standard",
            rate=Decimal("19"),
            is_default=True,
            valid_from=datetime.date(2020, 1, 1),
            valid_to=datetime.date(2020, 6, 30),
        )
        TaxRate.objects.create(
            code="standard",
            name="Standard (reduced for a while)",
            rate=Decimal("16"),
            is_default=True,
            valid_from=datetime.date(2020, 7, 1),
            valid_to=datetime.date(2020, 12, 31),
        )
    access = access_of("acme.de.manager")
    # Only the old EU list (2020) prices anything then: M-031.
    summer = _price(access, datetime.date(2020, 8, 1), ["M-031"])[0]
    spring = _price(access, datetime.date(2020, 3, 1), ["M-031"])[0]
    assert summer.tax_rate == Decimal("16")
    assert spring.tax_rate == Decimal("19")
    with pytest.raises(CrmError) as missing:
        _price(access, world.today, ["M-001"])
    assert missing.value.code == ErrorCode.TAX_RATE_NOT_FOUND
    assert missing.value.field == "lines.0.material"


def test_tax_rates_never_overlap(world):
    standard_taxes("de")
    access = access_of("acme.de.manager")
    with schema_context(schema()):
        with pytest.raises(CrmError) as same_code:
            taxes.tax_rate_save(
                access,
                code="standard",
                name="Standard",
                rate=Decimal("20"),
                valid_from=datetime.date(2030, 1, 1),
            )
        assert (same_code.value.code, same_code.value.field) == (
            ErrorCode.INVALID_ARGUMENT,
            "validFrom",
        )
        with pytest.raises(CrmError) as second_default:
            taxes.tax_rate_save(
                access,
                code="other",
                name="Other",
                rate=Decimal("20"),
                valid_from=datetime.date(2030, 1, 1),
                is_default=True,
            )
        assert second_default.value.field == "isDefault"
        # Closing the open rate first makes room for the next one.
        taxes.tax_rate_save(
            access,
            code="standard",
            name="Standard",
            rate=Decimal("19"),
            valid_from=datetime.date(2020, 1, 1),
            valid_to=datetime.date(2029, 12, 31),
            is_default=True,
        )
        later = taxes.tax_rate_save(
            access,
            code="standard",
            name="Standard from 2030",
            rate=Decimal("20"),
            valid_from=datetime.date(2030, 1, 1),
            is_default=True,
        )
        assert later.rate == Decimal("20")
        assert TaxRate.objects.filter(code="standard").count() == 2


def test_salespeople_do_not_keep_tax_rates(eu_region, graphql):
    reply = graphql(
        'mutation { taxRateSave(code: "vat", rate: "19", validFrom: "2020-01-01") '
        "{ errors { code } taxRate { code } } }",
        bu="acme.de",
        as_="acme.de.sales",
    )
    assert [e["code"] for e in reply.data["taxRateSave"]["errors"]] == ["PERMISSION_DENIED"]
    finance = graphql(
        'mutation { taxRateSave(code: "vat", rate: "19", validFrom: "2020-01-01", isDefault: true)'
        " { errors { code } taxRate { code rate isDefault validFrom } } }",
        bu="acme.de",
        as_="acme.de.finance",
    ).data["taxRateSave"]
    assert finance == {
        "errors": [],
        "taxRate": {"code": "vat", "rate": "19.000", "isDefault": True, "validFrom": "2020-01-01"},
    }
    listed = graphql("{ taxRates { code rate } }", bu="acme.de", as_="acme.de.sales")
    assert listed.data["taxRates"] == [{"code": "vat", "rate": "19.000"}]


@pytest.fixture
def eu_region(settings: Any, world: Any) -> Any:
    settings.REGION = "eu"
    return world
