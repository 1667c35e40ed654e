"""Quick creators for quote tests: tax rates, sales-policy limits, people, a deal's quote.

from crm.tests.quotes.helpers import make_quote, standard_taxes

standard_taxes("de")                      # 19 % default (and 7 % for a category) in acme.de
quote = make_quote(codes=["M-001", "M-031"], quantities=["3", "7"])   # as acme.de.sales
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django_tenants.utils import schema_context

from crm.masterdata.models import Material, MaterialCategory, SalesPolicy
from crm.platform.accounts.models import Membership, Role, User
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.models import Opportunity
from crm.tenants.quotes import services
from crm.tenants.quotes.models import Quote, TaxRate
from crm.tenants.quotes.pricing import LineInput
from crm.tests.opportunities.helpers import access_of, make_deal

SINCE = datetime.date(2020, 1, 1)
RATES = {"de": (Decimal("19"), Decimal("7")), "jp": (Decimal("10"), Decimal("8"))}


def schema(bu: str = "de") -> str:
    return BusinessUnit.schema_name_for("acme", bu)


def standard_taxes(bu: str = "de") -> None:
    """The BU's default rate (DE 19 %, JP 10 %) and a reduced one for category FOOD-LIKE."""
    standard, reduced = RATES[bu]
    category, _created = MaterialCategory.objects.get_or_create(
        group_id=BusinessUnit.objects.get(group__code="acme", code=bu).group_id,
        code="REDUCED",
        defaults={"name": "Reduced", "name_en": "Reduced"},
    )
    with schema_context(schema(bu)):
        TaxRate.objects.get_or_create(
            code="standard",
            valid_from=SINCE,
            defaults={"name": "Standard", "rate": standard, "is_default": True},
        )
        TaxRate.objects.get_or_create(
            code="reduced",
            valid_from=SINCE,
            defaults={"name": "Reduced", "rate": reduced, "material_category_id": category.pk},
        )


def limit(role: str, percent: str, bu: str = "de") -> None:
    """The sales policy: people of `role` in `bu` may discount up to `percent` %."""
    unit = BusinessUnit.objects.get(group__code="acme", code=bu)
    SalesPolicy.objects.update_or_create(
        business_unit=unit,
        role=Role.objects.get(group_id=unit.group_id, code=role),
        defaults={"group_id": unit.group_id, "max_discount": Decimal(percent)},
    )


def person(username: str, role: str, bu: str | None = "de") -> User:
    """A user of acme holding `role` in `bu` (or at group level with None)."""
    unit = BusinessUnit.objects.get(group__code="acme", code=bu) if bu else None
    group_id = BusinessUnit.objects.get(group__code="acme", code="de").group_id
    user, _created = User.objects.get_or_create(username=username, defaults={"group_id": group_id})
    Membership.objects.get_or_create(
        group_id=group_id,
        user=user,
        role=Role.objects.get(group_id=group_id, code=role),
        business_unit=unit,
    )
    return user


def material(code: str) -> Material:
    return Material.objects.get(group__code="acme", code=code)


def lines(codes: list[str], quantities: list[str], discounts: list[str] | None = None) -> list[Any]:
    return [
        LineInput(
            material_id=material(code).pk,
            quantity=Decimal(quantity),
            discount=Decimal((discounts or ["0"] * len(codes))[index]),
        )
        for index, (code, quantity) in enumerate(zip(codes, quantities, strict=True))
    ]


def make_quote(
    *,
    bu: str = "de",
    as_: str = "acme.de.sales",
    codes: list[str] | None = None,
    quantities: list[str] | None = None,
    discounts: list[str] | None = None,
    deal: Opportunity | None = None,
    **fields: Any,
) -> Quote:
    """A draft quote of a fresh deal of `bu` (owned by `as_`), made in the BU's schema."""
    standard_taxes(bu)
    codes = codes or ["M-001"]
    deal = deal or make_deal(as_=as_, bu=bu)
    access = access_of(as_, bu)
    with schema_context(schema(bu)):
        return services.create_quote(
            access,
            opportunity=deal,
            lines=lines(codes, quantities or ["1"] * len(codes), discounts),
            **fields,
        )
