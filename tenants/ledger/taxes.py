"""Taxes of ledger documents: which rate an order line takes, the tax of an invoice's part of a
line, the tax in a credit note, and a document's tax by rate.

One rounding rule, the quotes' (`crm.tenants.quotes.pricing`): a line's tax is its net amount
times its rate, rounded to the currency's minor units (half up; JPY: whole yen), and a document's
tax is the sum of its lines'. So:

- an order line takes its rate from the signed contract's quote line of the same material (the
  rate the customer signed), or, for an order without a contract (an ERP's), the BU's rate
  named by the line's code, else the rate of the material's category, else the BU's default,
  valid on the order date (rates are data: `TaxRate`); none is TAX_RATE_NOT_FOUND;
- an invoice's part of an order line has the tax of its net, and the part that completes the
  line takes the rest of the line's net and tax, so an order's invoices add up to the order's
  net, tax and gross exactly, whatever the rounding of partial invoices;
- a credit note credits a gross amount; its tax is the invoice's in proportion, rate by rate
  (the gross credited is shared among the invoice's rates by their gross, each part's tax by
  that rate's share of tax in it), never more than is left at a rate, and the note that
  credits what is left of the invoice takes the rest of each rate's net and tax.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from crm.masterdata.models import Material, MaterialCategory
from crm.platform.core.errors import CrmError, ErrorCode
from crm.tenants.ledger.models import CreditNoteTax, Invoice, Taxed
from crm.tenants.quotes.models import QuoteLine, TaxRate
from crm.tenants.quotes.pricing import choose_tax, rounded

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TaxChoice:
    """The rate a line takes: its code (as the BU names it) and the rate in %."""

    code: str
    rate: Decimal


@dataclass(frozen=True)
class TaxPart:
    """A document's net and tax at one rate."""

    code: str
    rate: Decimal
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def plain(rate: Decimal) -> Decimal:
    """A rate without trailing zeros nor exponent (19.000 → 19, 10.000 → 10, 7.500 → 7.5)."""
    return Decimal(format(rate.normalize(), "f"))


def tax_of(net: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The tax on `net` at `rate` %, at the currency's minor units (the one rule)."""
    return rounded(net * rate / HUNDRED, currency)


def by_rate(lines: Iterable[Taxed]) -> list[TaxPart]:
    """The lines' net (`amount`) and tax summed per code and rate, highest rate first."""
    parts: dict[tuple[str, Decimal], list[Decimal]] = {}
    for line in lines:
        key = (line.tax_code, plain(line.tax_rate))
        net, tax = parts.setdefault(key, [Decimal(0), Decimal(0)])
        parts[key] = [net + getattr(line, "amount", Decimal(0)), tax + line.tax_amount]
    return [
        TaxPart(code=code, rate=rate, net=net, tax=tax)
        for (code, rate), (net, tax) in sorted(
            parts.items(), key=lambda item: (-item[0][1], item[0][0])
        )
    ]


# -- which rate an order line takes ----------------------------------------------------------


def from_contract(
    quote_id: int, contract_number: str, material_ids: Sequence[int], codes: Sequence[str]
) -> list[TaxChoice]:
    """Each line's rate as signed: the contract's quote line of its material (and of its tax
    code, if the line names one); a material the contract does not have is INVALID_ARGUMENT."""
    quoted: dict[int, list[QuoteLine]] = {}
    for line in QuoteLine.objects.filter(quote_id=quote_id).order_by("position"):
        quoted.setdefault(line.material_id, []).append(line)
    chosen = []
    for index, (material_id, code) in enumerate(zip(material_ids, codes, strict=True)):
        candidates = [
            line for line in quoted.get(material_id, []) if not code or line.tax_code == code
        ]
        if not candidates:
            where = "taxCode" if code and material_id in quoted else "material"
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field=f"lines.{index}.{where}",
                reason=f"a material (and tax code) of contract {contract_number}",
            )
        chosen.append(TaxChoice(code=candidates[0].tax_code, rate=candidates[0].tax_rate))
    return chosen


def _rates_on(day: datetime.date) -> list[TaxRate]:
    return list(
        TaxRate.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from", "code")
    )


def from_rates(
    group_id: int, day: datetime.date, materials: Sequence[Material], codes: Sequence[str]
) -> list[TaxChoice]:
    """Each line's rate from the BU's tax rates valid on `day`: by the code it names, else by
    its material's category (nearest first), else the default; TAX_RATE_NOT_FOUND otherwise."""
    rates = _rates_on(day)
    parents: dict[int, int | None] = {}
    if any(rate.material_category_id for rate in rates):
        parents = dict(
            MaterialCategory.objects.filter(group_id=group_id).values_list("id", "parent_id")
        )
    chosen = []
    for index, (material, code) in enumerate(zip(materials, codes, strict=True)):
        rate = choose_tax(rates, parents, category_id=material.category_id, code=code)
        if rate is None:
            raise CrmError(
                ErrorCode.TAX_RATE_NOT_FOUND,
                field=f"lines.{index}.taxCode" if code else f"lines.{index}.material",
                tax=code or "-",
                date=day.isoformat(),
                material=material.code,
            )
        chosen.append(TaxChoice(code=rate.code, rate=rate.rate))
    return chosen


# -- an invoice's part of a line -------------------------------------------------------------


def invoiced_part(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    rate: Decimal,
    currency: str,
    completes: bool,
    net_left: Decimal,
    tax_left: Decimal,
) -> tuple[Decimal, Decimal]:
    """The net and tax of an invoiced quantity of an order line of which `net_left` and
    `tax_left` are not invoiced yet: the rest of both when the quantity `completes` the line,
    else each rounded by the rule (never more than is left)."""
    if completes:
        return net_left, tax_left
    net = min(rounded(quantity * unit_price, currency), net_left)
    return net, min(tax_of(net, rate, currency), tax_left)


# -- the tax in a credit note ----------------------------------------------------------------


def _shares(
    amount: Decimal, weights: Sequence[Decimal], caps: Sequence[Decimal], currency: str
) -> list[Decimal]:
    """`amount` shared by `weights`, each share at most its cap, adding up to `amount` exactly
    (rounding and what a cap holds back go to the others with room, largest weight first)."""
    total = sum(weights, Decimal(0))
    shares = [
        min(rounded(amount * weight / total, currency), cap) if total else Decimal(0)
        for weight, cap in zip(weights, caps, strict=True)
    ]
    rest = amount - sum(shares, Decimal(0))
    order = sorted(range(len(weights)), key=lambda index: (-weights[index], index))
    for index in order:  # a rounding unit too much comes back from the largest first
        if rest >= 0:
            break
        taken = min(-rest, shares[index])
        shares[index] -= taken
        rest += taken
    for index in order:
        if rest <= 0:
            break
        room = caps[index] - shares[index]
        given = min(rest, room)
        shares[index] += given
        rest -= given
    return shares


def credited_parts(invoice: Invoice, amount: Decimal) -> list[TaxPart]:
    """The net and tax, per rate of `invoice`, in a credit note of gross `amount` (at most what
    is open on the invoice): see the module's rule."""
    currency = invoice.currency
    invoiced = by_rate(invoice.lines.all())
    credited: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    for earlier in CreditNoteTax.objects.filter(credit_note__invoice=invoice):
        key = (earlier.tax_code, plain(earlier.tax_rate))
        net, tax = credited.get(key, (Decimal(0), Decimal(0)))
        credited[key] = (net + earlier.net_amount, tax + earlier.tax_amount)
    left = []
    for part in invoiced:
        net_done, tax_done = credited.get((part.code, part.rate), (Decimal(0), Decimal(0)))
        left.append(TaxPart(part.code, part.rate, part.net - net_done, part.tax - tax_done))
    if invoice.credited_amount + amount == invoice.total:
        return [part for part in left if part.gross > 0]  # the rest of every rate
    shares = _shares(
        amount, [part.gross for part in invoiced], [part.gross for part in left], currency
    )
    parts = []
    for whole, rest, share in zip(invoiced, left, shares, strict=True):
        if share <= 0:
            continue
        tax = min(rounded(share * whole.tax / whole.gross, currency), rest.tax, share)
        net = share - tax
        if net > rest.net:  # the net left cannot hold it: the rest is tax
            net, tax = rest.net, share - rest.net
        parts.append(TaxPart(whole.code, whole.rate, net, tax))
    return parts
