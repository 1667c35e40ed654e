"""Scalars and small types shared by every area: Money, exchange-rate conversions."""

from __future__ import annotations

import graphene
from moneyed import Money as MoneyValue

from crm.masterdata.fx import Conversion as ConversionValue
from crm.platform.core.money import round_money


class Money(graphene.ObjectType):
    """An amount in a currency. `amount` is a decimal string, never a float."""

    amount = graphene.Decimal(required=True)
    currency = graphene.String(required=True, description="ISO-4217 code")

    @staticmethod
    def resolve_amount(root: MoneyValue, _info: graphene.ResolveInfo) -> object:
        return root.amount

    @staticmethod
    def resolve_currency(root: MoneyValue, _info: graphene.ResolveInfo) -> str:
        return str(root.currency.code)


class Conversion(graphene.ObjectType):
    """How an amount was converted: from what, at which rate, of which type and date."""

    source = graphene.Field(Money, required=True)
    result = graphene.Field(Money, required=True, description="Rounded to minor units.")
    rate = graphene.Decimal(required=True)
    rate_type = graphene.String(required=True)
    rate_date = graphene.Date(required=True)

    @staticmethod
    def resolve_source(root: ConversionValue, _info: graphene.ResolveInfo) -> MoneyValue:
        return root.source

    @staticmethod
    def resolve_result(root: ConversionValue, _info: graphene.ResolveInfo) -> MoneyValue:
        return round_money(root.result)

    @staticmethod
    def resolve_rate(root: ConversionValue, _info: graphene.ResolveInfo) -> object:
        return root.rate.rate

    @staticmethod
    def resolve_rate_type(root: ConversionValue, _info: graphene.ResolveInfo) -> str:
        return root.rate.rate_type

    @staticmethod
    def resolve_rate_date(root: ConversionValue, _info: graphene.ResolveInfo) -> object:
        return root.rate.date


class TranslationInput(graphene.InputObjectType):
    """A text in one language, e.g. {language: "de", text: "Bildschirm"}."""

    language = graphene.String(required=True)
    text = graphene.String(required=True)


def translations(entries: list[dict[str, str]] | None) -> dict[str, str]:
    return {entry["language"]: entry["text"] for entry in entries or []}


class StageDirection(graphene.Enum):
    ADVANCE = "advance"
    RETREAT = "retreat"
