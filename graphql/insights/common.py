"""Small pieces the dashboards' types share: money, shares, labels in the request's language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene
from babel import Locale, UnknownLocaleError
from django.utils import translation
from moneyed import Money as MoneyValue

from crm.graphql.core.types import Money
from crm.masterdata.customers.models import Grade
from crm.platform.core.money import round_money

SHARE_PLACES = Decimal("0.0001")


def money(amount: Decimal, currency: str) -> MoneyValue:
    return round_money(MoneyValue(amount, currency))


def share(part: int, whole: int) -> Decimal:
    """`part` of `whole` as a fraction to four places (0 of nothing is 0)."""
    return (Decimal(part) / whole).quantize(SHARE_PLACES) if whole else Decimal(0)


def country_name(code: str | None) -> str | None:
    """The country's name in the request's language (Babel's data), else the code."""
    if not code:
        return None
    head, _dash, script = (translation.get_language() or "en").partition("-")
    try:
        locale = Locale.parse(f"{head}_{script.title()}" if script else head)
    except (UnknownLocaleError, ValueError):
        return code
    name: str = locale.territories.get(code.upper(), code)
    return name


def grade_name(code: str | None) -> str | None:
    if not code:
        return None
    return str(Grade(code).label) if code in Grade.values else code


class DistributionShare(graphene.ObjectType):
    """Accounts of one value of one dimension; `key` null: not known."""

    key = graphene.String(description="Industry text, country code (ISO 3166) or grade code.")
    label = graphene.String(description="The country's or grade's name in your language.")
    accounts = graphene.Int(required=True)
    share = graphene.Decimal(required=True, description="Of all accounts counted, 0 to 1.")


def shares(values: list[tuple[str | None, int]], dimension: str, total: int) -> list[Any]:
    label = {"country": country_name, "grade": grade_name}.get(dimension, lambda key: key)
    return [
        DistributionShare(key=key, label=label(key), accounts=count, share=share(count, total))
        for key, count in values
    ]


class RoiFigures:
    """The figures of a channel: leads, won deals and revenue, campaigns and cost."""

    leads = graphene.Int(required=True, description="Created in the period.")
    converted = graphene.Int(required=True, description="Of those, converted.")
    won = graphene.Int(required=True, description="Deals won in the period from its leads.")
    won_revenue = graphene.Field(Money, required=True, description="In the group currency.")
    without_group_amount = graphene.Int(
        required=True, description="Won deals counted but not valued: no rate yet."
    )
    campaigns = graphene.Int(required=True, description="Campaigns running in the period.")
    cost = graphene.Field(Money, required=True, description="Their cost, in the group currency.")
    campaigns_without_rate = graphene.Int(
        required=True, description="Campaigns not in `cost`: no rate for their date."
    )
    roi = graphene.Decimal(description="(wonRevenue − cost) / cost; null without cost.")
