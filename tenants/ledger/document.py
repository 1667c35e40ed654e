"""The printable invoice: an HTML page in the customer's language, with its VAT by rate.

The language is the signed contract's quote's (the customer's), else the first official language
of the customer's country that we support, else the BU's. Labels are gettext texts, material
names the translated master data along the BU's fallback chain, numbers, amounts and dates in
that language's locale (Babel: 1.234,56 € in German, ￥1,234 in Japanese). Each line shows its
net, VAT rate and VAT; the totals the net, the VAT of each rate on its net (19 % and 7 % apart,
as a German invoice must) and the gross, then what was credited and paid and what is open.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from babel.dates import format_date
from babel.languages import get_official_languages
from babel.numbers import format_currency, format_decimal
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from crm.i18n.languages import fallback_chain, supported, translated
from crm.masterdata.customers.models import Customer
from crm.masterdata.models import Material, UnitOfMeasure
from crm.tenants.contracts.models import Contract
from crm.tenants.ledger.models import Invoice, InvoiceStatus
from crm.tenants.ledger.taxes import by_rate
from crm.tenants.models import BusinessUnit
from crm.tenants.quotes.document import babel_locale

LABELS = {
    "title": _("Invoice"),
    "draft": _("Draft invoice"),
    "number": _("Invoice number"),
    "date": _("Date"),
    "due_date": _("Due date"),
    "order": _("Order number"),
    "customer": _("Customer"),
    "issuer": _("Issued by"),
    "payment_terms": _("Payment terms"),
    "position": _("Pos."),
    "material": _("Material"),
    "description": _("Description"),
    "quantity": _("Quantity"),
    "unit_price": _("Unit price"),
    "net": _("Net"),
    "vat_rate": _("VAT"),
    "tax": _("Tax"),
    "gross": _("Gross"),
    "total_net": _("Total net"),
    "total_gross": _("Total"),
    "credited": _("Credited"),
    "paid": _("Paid"),
    "open": _("Open amount"),
}
VAT_ON = _("VAT %(rate)s on %(net)s")
PAYABLE_BY = _("Payable by %(date)s.")


def invoice_language(invoice: Invoice, business_unit: BusinessUnit) -> str:
    """The customer's language for the invoice (see the module)."""
    order = invoice.order
    if order.contract_id is not None:
        language = (
            Contract.objects.filter(pk=order.contract_id)
            .values_list("quote__language", flat=True)
            .first()
        )
        if language and supported(language):
            return str(supported(language))
    country = (
        Customer.objects.filter(pk=invoice.account.customer_id)
        .values_list("country", flat=True)
        .first()
    )
    for language in get_official_languages(country or "", de_facto=True):
        found = supported(language)
        if found:
            return str(found)
    return str(supported(business_unit.language) or "en")


def _percent(value: Decimal, locale: str) -> str:
    return f"{format_decimal(value.normalize(), locale=locale)} %"


def render_invoice(invoice: Invoice, business_unit: BusinessUnit) -> str:
    """The invoice as a standalone HTML page in the customer's language."""
    language = invoice_language(invoice, business_unit)
    locale = babel_locale(language)
    chain = fallback_chain(
        language,
        business_unit.language,
        business_unit.fallback_languages,
        business_unit.group.default_language,
    )
    lines = list(invoice.lines.select_related("order_line").order_by("position"))
    ids = [line.order_line.material_id for line in lines]
    materials = {m.pk: m for m in Material.objects.filter(pk__in=ids)}
    customer = Customer.objects.filter(pk=invoice.account.customer_id).first()

    def money(amount: Decimal) -> str:
        return str(format_currency(amount, invoice.currency, locale=locale))

    def day(value: datetime.date | None) -> str:
        return str(format_date(value, format="long", locale=locale)) if value else ""

    with translation.override(language):
        units = {code: str(label) for code, label in UnitOfMeasure.choices}
        rows = []
        for line in lines:
            ordered = line.order_line
            material = materials.get(ordered.material_id)
            rows.append(
                {
                    "position": line.position,
                    "code": ordered.material_code,
                    "name": translated(material, "name", chain) if material else "",
                    "description": ordered.description,
                    "quantity": format_decimal(line.quantity.normalize(), locale=locale),
                    "unit": units.get(ordered.unit, ordered.unit),
                    "unit_price": money(line.unit_price),
                    "net": money(line.amount),
                    "tax_rate": _percent(line.tax_rate, locale),
                    "tax": money(line.tax_amount),
                    "gross": money(line.amount + line.tax_amount),
                }
            )
        vat = [
            {
                "label": str(VAT_ON)
                % {"rate": _percent(part.rate, locale), "net": money(part.net)},
                "tax": money(part.tax),
            }
            for part in by_rate(lines)
        ]
        draft = invoice.status == InvoiceStatus.DRAFT
        context = {
            "language": language,
            "labels": {key: str(text) for key, text in LABELS.items()},
            "title": str(LABELS["draft" if draft else "title"]),
            "number": invoice.number or "",
            "issue_date": day(invoice.issue_date),
            "due_date": day(invoice.due_date),
            "order": invoice.order.number,
            "customer": customer.legal_name if customer else invoice.account.local_name,
            "issuer": business_unit.name,
            "payment_terms": invoice.payment_terms,
            "lines": rows,
            "vat": vat,
            "net": money(invoice.net_total),
            "gross": money(invoice.total),
            "credited": money(invoice.credited_amount) if invoice.credited_amount else "",
            "paid": money(invoice.paid_amount) if invoice.paid_amount else "",
            "open": money(invoice.open_amount) if not draft else "",
            "payable": str(PAYABLE_BY) % {"date": day(invoice.due_date)}
            if invoice.due_date and invoice.open_amount
            else "",
            "notes": invoice.notes,
        }
        return render_to_string("ledger/invoice.html", context)
