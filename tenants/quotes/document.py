"""The printable quote: an HTML page in the customer's language (the quote's `language`).

Labels are gettext texts (extracted from this module), material names the translated master
data along the BU's fallback chain, and every number, amount and date formatted for that
language's locale with Babel (1.234,56 € in German, ￥1,234 in Japanese). What the customer
must not see (cost, margin, price lists, exchange rates) is never put in the page.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from crm.i18n.languages import fallback_chain, translated
from crm.masterdata.customers.models import Customer
from crm.masterdata.models import Material, UnitOfMeasure
from crm.tenants.models import BusinessUnit
from crm.tenants.quotes.models import Quote

LABELS = {
    "title": _("Quotation"),
    "number": _("Quote number"),
    "version": _("version"),
    "date": _("Date"),
    "valid_until": _("Valid until"),
    "customer": _("Customer"),
    "issuer": _("Issued by"),
    "position": _("Pos."),
    "material": _("Material"),
    "description": _("Description"),
    "quantity": _("Quantity"),
    "unit_price": _("Unit price"),
    "discount": _("Discount"),
    "net": _("Net"),
    "tax": _("Tax"),
    "gross": _("Gross"),
    "header_discount": _("Discount on the whole quote"),
    "total_net": _("Total net"),
    "total_tax": _("Total tax"),
    "total_gross": _("Total"),
}
VALIDITY = _("This offer is valid until %(date)s.")


def babel_locale(language: str) -> str:
    """Babel's name for one of our languages (`zh-hans` → `zh_Hans`)."""
    head, _dash, script = language.partition("-")
    return f"{head}_{script.title()}" if script else head


def _percent(value: Decimal, locale: str) -> str:
    return f"{format_decimal(value.normalize(), locale=locale)} %"


def render_quote(quote: Quote, business_unit: BusinessUnit) -> str:
    """The quote as a standalone HTML page in its language."""
    language = quote.language
    locale = babel_locale(language)
    chain = fallback_chain(
        language,
        business_unit.language,
        business_unit.fallback_languages,
        business_unit.group.default_language,
    )
    lines = list(quote.lines.order_by("position"))
    materials = {m.pk: m for m in Material.objects.filter(pk__in=[x.material_id for x in lines])}
    customer = Customer.objects.filter(pk=quote.account.customer_id).first()

    def money(amount: Decimal) -> str:
        return str(format_currency(amount, quote.currency, locale=locale))

    def day(value: datetime.date) -> str:
        return str(format_date(value, format="long", locale=locale))

    with translation.override(language):
        units = {code: str(label) for code, label in UnitOfMeasure.choices}
        rows = [
            {
                "position": line.position,
                "code": line.material_code,
                "name": translated(materials[line.material_id], "name", chain)
                if line.material_id in materials
                else "",
                "quantity": format_decimal(line.quantity.normalize(), locale=locale),
                "unit": units.get(line.unit, line.unit),
                "unit_price": money(line.unit_price),
                "discount": _percent(line.discount, locale) if line.discount else "",
                "net": money(line.net_amount),
                "tax": money(line.tax_amount),
                "tax_rate": _percent(line.tax_rate, locale),
                "gross": money(line.gross_amount),
            }
            for line in lines
        ]
        context = {
            "language": language,
            "labels": {key: str(text) for key, text in LABELS.items()},
            "quote": quote,
            "quote_date": day(quote.quote_date),
            "valid_until": day(quote.valid_until),
            "customer": customer.legal_name if customer else quote.account.local_name,
            "issuer": business_unit.name,
            "lines": rows,
            "header_discount": _percent(quote.header_discount, locale)
            if quote.header_discount
            else "",
            "net": money(quote.net_amount),
            "tax": money(quote.tax_amount),
            "gross": money(quote.gross_amount),
            "note": quote.note,
            "validity_sentence": str(VALIDITY) % {"date": day(quote.valid_until)},
        }
        return render_to_string("quotes/quote.html", context)
