"""A business unit's quotes: made from a deal, priced, discounted within the sales policy (beyond
it, approved), sent, accepted or rejected, versioned, expired.

Lifecycle: DRAFT → (AWAITING_APPROVAL → DRAFT) → SENT → ACCEPTED | REJECTED; a draft or sent
quote past its validity becomes EXPIRED (`expire_quotes`, daily). Only the current version of
a quote in DRAFT can change (RECORD_CLOSED otherwise); a new version copies the lines of the
current one, which becomes read-only.

Discounts. A line's effective discount combines its own and the quote's. Whoever sends a
quote may give up to their sales-policy limit (`masterdata.sales_policy.max_discount`: the
largest of their roles' in the BU); above it the quote needs an approval, by someone whose
own limit covers the discount (and who is not the quote's owner), before it can be sent or
accepted (DISCOUNT_NEEDS_APPROVAL otherwise). An approval covers the discount it approved:
raising the discount afterwards needs another.

Every write goes through the policy, runs in one transaction and changes all it was asked to
or nothing.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from babel.languages import get_official_languages
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crm.i18n.languages import supported
from crm.masterdata.customers.models import Customer
from crm.masterdata.sales.models import StageKind
from crm.masterdata.sales_policy import max_discount
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import currency as money_currency
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.opportunities.models import Opportunity, OpportunityProduct
from crm.tenants.quotes import pricing
from crm.tenants.quotes.access import QUOTE, QUOTE_LINE
from crm.tenants.quotes.models import Quote, QuoteApproval, QuoteLine, QuoteStatus

OBJECT = "quote"
DEFAULT_VALIDITY = datetime.timedelta(days=30)
UNSET: Any = object()


# -- lookups --------------------------------------------------------------------------------


def quotes(access: Access) -> QuerySet[Quote]:
    """The quotes the principal may view, with what per-node permission checks need."""
    return (
        access.visible(QUOTE, Quote.objects.all())
        .select_related("opportunity")
        .prefetch_related("opportunity__team")
    )


def get_quote(access: Access, pk: int, *, field: str = "id") -> Quote:
    """A quote the principal may view, or NOT_FOUND (also for quotes of other BUs)."""
    quote = quotes(access).filter(pk=pk).first()
    if quote is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=OBJECT, id=pk)
    return quote


def _locked(access: Access, quote: Quote) -> Quote:
    """The quote again, locked for the write, still visible to the principal."""
    locked = (
        access.visible(QUOTE, Quote.objects.all())
        .select_for_update(of=("self",))
        .filter(pk=quote.pk)
        .first()
    )
    if locked is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object=OBJECT, id=quote.pk)
    return (
        Quote.objects.select_related("opportunity")
        .prefetch_related("opportunity__team")
        .get(pk=locked.pk)
    )


def _require_current(quote: Quote) -> None:
    if not quote.is_current:
        raise CrmError(
            ErrorCode.RECORD_CLOSED, object=OBJECT, status=f"superseded (v{quote.version})"
        )


def _require_draft(quote: Quote) -> None:
    """Only the current version, as a draft, can change."""
    _require_current(quote)
    if quote.status != QuoteStatus.DRAFT:
        raise CrmError(
            ErrorCode.RECORD_CLOSED, object=OBJECT, status=QuoteStatus(quote.status).label
        )


def _wrong_status(quote: Quote, direction: str) -> CrmError:
    return CrmError(
        ErrorCode.INVALID_STAGE_CHANGE, object=OBJECT, stage=quote.status, direction=direction
    )


# -- making and pricing ---------------------------------------------------------------------


def customer_language(access: Access, deal: Opportunity) -> str:
    """The language to write to the customer in: the deal's primary contact's, else the first
    official language of the customer's country that we support, else the BU's."""
    contact = deal.primary_contact
    if contact is not None and supported(contact.language):
        return str(supported(contact.language))
    account = LocalCustomer.objects.filter(pk=deal.account_id).values("customer_id")
    country = Customer.objects.filter(pk__in=account).values_list("country", flat=True).first()
    for language in get_official_languages(country or "", de_facto=True):
        found = supported(language)
        if found:
            return found
    return str(supported(access.business_unit.language) or "en")


def _language(value: str) -> str:
    found = supported(value)
    if not found:
        raise CrmError(ErrorCode.UNKNOWN_LANGUAGE, field="language", language=value)
    return found


def _product_lines(deal: Opportunity) -> list[pricing.LineInput]:
    return [
        pricing.LineInput(material_id=product.material_id, quantity=product.quantity)
        for product in OpportunityProduct.objects.filter(opportunity=deal).order_by("id")
    ]


def _apply(quote: Quote, lines: Sequence[QuoteLine]) -> None:
    """Store the quote's totals from its lines (the lines' amounts summed)."""
    total = pricing.totals(lines)
    quote.net_amount = total.net
    quote.tax_amount = total.tax
    quote.gross_amount = total.gross
    quote.cost_amount = total.cost
    quote.margin_amount = total.margin
    quote.max_discount = total.max_discount
    quote.updated_at = timezone.now()


def _save_lines(quote: Quote, lines: Sequence[QuoteLine], *, replace: bool = True) -> None:
    if replace:
        QuoteLine.objects.filter(quote=quote).delete()
    for line in lines:
        line.quote = quote
    QuoteLine.objects.bulk_create(lines)
    _apply(quote, lines)
    quote.cleared_discount = None
    quote.save()


def create_quote(
    access: Access,
    *,
    opportunity: Opportunity,
    lines: Sequence[pricing.LineInput] | None = None,
    quote_date: datetime.date | None = None,
    valid_until: datetime.date | None = None,
    header_discount: Decimal = Decimal(0),
    language: str = "",
    note: str = "",
    currency: str = "",
) -> Quote:
    """A draft quote for an open deal, priced on `quote_date` (default: today in the BU); its
    lines are `lines`, or the deal's products when none are given. It is in `currency` (an
    export customer quoted in its own currency, prices converted at the quote date's rates), by
    default the BU's."""
    access.require(Action.CREATE, QUOTE)
    if opportunity.status != StageKind.OPEN:
        raise CrmError(ErrorCode.RECORD_CLOSED, object="opportunity", status=opportunity.status)
    day = quote_date or access.business_unit.today()
    until = valid_until or day + DEFAULT_VALIDITY
    if until < day:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="validUntil", reason="not before the quote date"
        )
    pricing.check_discount(header_discount, "headerDiscount")
    inputs = list(lines) if lines is not None else _product_lines(opportunity)
    if not inputs:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="lines",
            reason="no lines and the deal has no products",
        )
    currency = money_currency(currency).code if currency else access.business_unit.currency
    with transaction.atomic():
        priced = pricing.price_lines(
            access=access,
            on=day,
            currency=currency,
            header_discount=header_discount,
            inputs=inputs,
        )
        now = timezone.now()
        quote = Quote.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:16]}",  # the real one needs the id
            opportunity=opportunity,
            account_id=opportunity.account_id,
            owner_id=opportunity.owner_id,
            currency=currency,
            language=_language(language) if language else customer_language(access, opportunity),
            quote_date=day,
            valid_until=until,
            header_discount=header_discount,
            note=note.strip(),
            created_at=now,
        )
        quote.number = f"Q-{quote.pk:06d}"
        _save_lines(quote, priced, replace=False)
    return quote


def _inputs_of(quote: Quote) -> list[pricing.LineInput]:
    """The quote's lines as inputs again (their tax code kept explicitly)."""
    return [
        pricing.LineInput(
            material_id=line.material_id,
            quantity=line.quantity,
            discount=line.discount,
            tax_code=line.tax_code,
        )
        for line in quote.lines.order_by("position")
    ]


def line_fields(inputs: Sequence[pricing.LineInput]) -> list[str]:
    """The `quote_line` fields the inputs write: material and quantity always, the discount
    and the tax code when a line gives one."""
    fields = ["material", "quantity"]
    if any(line.discount for line in inputs):
        fields.append("discount")
    if any(line.tax_code for line in inputs):
        fields.append("tax")
    return fields


def set_lines(access: Access, quote: Quote, inputs: Sequence[pricing.LineInput]) -> Quote:
    """Replace a draft's lines, priced again on its quote date."""
    with transaction.atomic():
        quote = _locked(access, quote)
        _require_draft(quote)
        access.require(Action.EDIT, QUOTE_LINE, line_fields(inputs))
        priced = pricing.price_lines(
            access=access,
            on=quote.quote_date,
            currency=quote.currency,
            header_discount=quote.header_discount,
            inputs=inputs,
        )
        _save_lines(quote, priced)
    return quote


def update_quote(
    access: Access,
    quote: Quote,
    *,
    quote_date: datetime.date | None = UNSET,
    valid_until: datetime.date | None = UNSET,
    header_discount: Decimal | None = UNSET,
    language: str | None = UNSET,
    note: str | None = UNSET,
) -> Quote:
    """Change a draft's header; a new quote date prices every line again on that day, a new
    quote discount recomputes every line's amounts."""
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("quote_date", quote_date),
            ("valid_until", valid_until),
            ("header_discount", header_discount),
            ("language", language),
            ("note", note),
        )
        if value is not UNSET and value is not None
    }
    with transaction.atomic():
        quote = _locked(access, quote)
        _require_draft(quote)
        access.require(Action.EDIT, quote, list(changes))
        if "language" in changes:
            quote.language = _language(changes["language"])
        if "note" in changes:
            quote.note = str(changes["note"]).strip()
        if "header_discount" in changes:
            quote.header_discount = pricing.check_discount(
                changes["header_discount"], "headerDiscount"
            )
        if "quote_date" in changes:
            quote.quote_date = changes["quote_date"]
        if "valid_until" in changes:
            quote.valid_until = changes["valid_until"]
        if quote.valid_until < quote.quote_date:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="validUntil", reason="not before the quote date"
            )
        if "quote_date" in changes:
            lines = pricing.price_lines(
                access=access,
                on=quote.quote_date,
                currency=quote.currency,
                header_discount=quote.header_discount,
                inputs=_inputs_of(quote),
            )
            _save_lines(quote, lines)
        elif "header_discount" in changes:
            existing = list(quote.lines.order_by("position"))
            for line in existing:
                pricing.reprice(
                    line, header_discount=quote.header_discount, currency=quote.currency
                )
            QuoteLine.objects.bulk_update(
                existing,
                [
                    "effective_discount",
                    "list_amount",
                    "net_amount",
                    "tax_amount",
                    "gross_amount",
                    "margin_amount",
                ],
            )
            _apply(quote, existing)
            quote.cleared_discount = None
            quote.save()
        else:
            quote.updated_at = timezone.now()
            quote.save()
    return quote


# -- approval of discounts ------------------------------------------------------------------


def _trail(access: Access, quote: Quote, kind: str, comment: str) -> None:
    QuoteApproval.objects.create(
        quote=quote,
        kind=kind,
        discount=quote.max_discount,
        user_id=access.principal.user_id,
        actor=access.principal.label,
        comment=comment.strip()[:500],
    )


def request_approval(access: Access, quote: Quote, comment: str = "") -> Quote:
    """Ask for the draft's discount to be approved: it waits, unchangeable, for the decision."""
    with transaction.atomic():
        quote = _locked(access, quote)
        _require_draft(quote)
        access.require(Action.ADVANCE, quote)
        quote.status = QuoteStatus.AWAITING_APPROVAL
        quote.updated_at = timezone.now()
        quote.save(update_fields=["status", "updated_at"])
        _trail(access, quote, QuoteApproval.Kind.REQUESTED, comment)
    return quote


def decide_discount(access: Access, quote: Quote, *, approve: bool, comment: str = "") -> Quote:
    """Approve (up to the quote's discount) or decline; the quote is a draft again either way."""
    with transaction.atomic():
        quote = _locked(access, quote)
        _require_current(quote)
        if quote.status != QuoteStatus.AWAITING_APPROVAL:
            raise _wrong_status(quote, "to an approval decision")
        access.require(Action.APPROVE, quote)
        if quote.owner_id == access.principal.user_id:
            raise CrmError(
                ErrorCode.NOT_AN_APPROVER, reason="the quote's owner cannot approve its discount"
            )
        if approve:
            limit = max_discount(access)
            if quote.max_discount > limit:
                raise CrmError(
                    ErrorCode.NOT_AN_APPROVER,
                    reason=f"the discount {plain(quote.max_discount)} % is above your limit "
                    f"{plain(limit)} %",
                )
            quote.approved_discount = quote.max_discount
        quote.status = QuoteStatus.DRAFT
        quote.updated_at = timezone.now()
        quote.save(update_fields=["status", "approved_discount", "updated_at"])
        kind = QuoteApproval.Kind.APPROVED if approve else QuoteApproval.Kind.DECLINED
        _trail(access, quote, kind, comment)
    return quote


def plain(value: Decimal) -> str:
    """A percentage without trailing zeros: 15, 12.5."""
    return format(value.normalize(), "f")


def discount_limit(access: Access, quote: Quote) -> Decimal:
    """How far this caller may discount this quote: their own limit, or what was approved."""
    return max(max_discount(access), quote.approved_discount or Decimal(0))


def _require_cleared(access: Access, quote: Quote, limit: Decimal) -> None:
    if quote.max_discount > limit:
        raise CrmError(
            ErrorCode.DISCOUNT_NEEDS_APPROVAL,
            discount=plain(quote.max_discount),
            limit=plain(limit),
        )


def _require_valid(access: Access, quote: Quote) -> None:
    if quote.valid_until < access.business_unit.today():
        raise CrmError(ErrorCode.QUOTE_EXPIRED, valid_until=quote.valid_until.isoformat())


# -- sending and the customer's answer ------------------------------------------------------


def send(access: Access, quote: Quote) -> Quote:
    """Send a draft to the customer: its discount must be within the sender's limit or approved,
    and it must still be valid."""
    with transaction.atomic():
        quote = _locked(access, quote)
        _require_current(quote)
        if quote.status == QuoteStatus.AWAITING_APPROVAL:
            _require_cleared(access, quote, discount_limit(access, quote))
        _require_draft(quote)
        access.require(Action.ADVANCE, quote)
        _require_valid(access, quote)
        limit = discount_limit(access, quote)
        _require_cleared(access, quote, limit)
        quote.status = QuoteStatus.SENT
        quote.cleared_discount = quote.max_discount
        quote.sent_at = quote.updated_at = timezone.now()
        quote.save(update_fields=["status", "cleared_discount", "sent_at", "updated_at"])
    return quote


def accept(access: Access, quote: Quote, note: str = "") -> Quote:
    """The customer accepted a sent, still valid quote (whose discount was cleared)."""
    return _decide(access, quote, QuoteStatus.ACCEPTED, note)


def reject(access: Access, quote: Quote, note: str = "") -> Quote:
    """The customer declined a sent quote."""
    return _decide(access, quote, QuoteStatus.REJECTED, note)


def _decide(access: Access, quote: Quote, outcome: str, note: str) -> Quote:
    with transaction.atomic():
        quote = _locked(access, quote)
        _require_current(quote)
        if quote.status in (QuoteStatus.DRAFT, QuoteStatus.AWAITING_APPROVAL):
            if outcome == QuoteStatus.ACCEPTED:
                # Never accepted before being cleared and sent.
                _require_cleared(access, quote, quote.approved_discount or Decimal(0))
            raise _wrong_status(quote, "to the customer's answer before it is sent")
        if quote.status != QuoteStatus.SENT:
            raise CrmError(
                ErrorCode.RECORD_CLOSED, object=OBJECT, status=QuoteStatus(quote.status).label
            )
        access.require(Action.ADVANCE, quote)
        if outcome == QuoteStatus.ACCEPTED:
            _require_valid(access, quote)
            _require_cleared(access, quote, quote.cleared_discount or Decimal(0))
        quote.status = outcome
        quote.decided_at = quote.updated_at = timezone.now()
        quote.decision_note = note.strip()[:500]
        quote.save(update_fields=["status", "decided_at", "updated_at", "decision_note"])
    return quote


def new_version(access: Access, quote: Quote) -> Quote:
    """A new draft version with the current one's header and lines (prices as they were); the
    current one becomes read-only. Not after the quote was accepted."""
    with transaction.atomic():
        quote = _locked(access, quote)
        _require_current(quote)
        if quote.status == QuoteStatus.ACCEPTED:
            raise CrmError(
                ErrorCode.RECORD_CLOSED, object=OBJECT, status=QuoteStatus(quote.status).label
            )
        access.require(Action.EDIT, quote)
        lines = list(quote.lines.order_by("position"))
        Quote.objects.filter(pk=quote.pk).update(is_current=False)
        now = timezone.now()
        copy = Quote.objects.get(pk=quote.pk)
        copy.pk = None
        copy.version = quote.version + 1
        copy.is_current = True
        copy.status = QuoteStatus.DRAFT
        copy.approved_discount = copy.cleared_discount = None
        copy.sent_at = copy.decided_at = None
        copy.decision_note = ""
        copy.created_at = copy.updated_at = now
        copy._state.adding = True
        copy.save(force_insert=True)
        for line in lines:
            line.pk = None
            line.quote = copy
            line._state.adding = True
        QuoteLine.objects.bulk_create(lines)
    return copy


def versions(quote: Quote) -> list[Quote]:
    """Every version of the quote's number, oldest first."""
    return list(Quote.objects.filter(number=quote.number).order_by("version"))


def expire_quotes(today: datetime.date) -> int:
    """Current drafts, quotes awaiting approval and sent quotes past their validity: EXPIRED."""
    return Quote.objects.filter(
        is_current=True,
        status__in=[QuoteStatus.DRAFT, QuoteStatus.AWAITING_APPROVAL, QuoteStatus.SENT],
        valid_until__lt=today,
    ).update(status=QuoteStatus.EXPIRED, updated_at=timezone.now())
