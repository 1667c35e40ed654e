"""The quote-to-cash documents of one business unit as personal data (run in its schema):
which of them mention a data subject, what they say about them (the export), erasing that, and
their own retention.

What is personal in a quote, contract, order, invoice, credit note or payment is the free text
people write into it (`KINDS`): a quote's note and decision note and its approval comments, a
contract's terms and its approvals' and trail's comments, an order's customer reference
("z. Hd. Frau Weber") and notes, an invoice's notes, a credit note's reason, a payment's
reference (the bank statement's text, with the payer's name). Everything else (numbers, dates,
statuses, amounts in both currencies, rates, links, quantities) is the company's business data
and is never changed here: totals, open amounts, the aging and every count stay as they were.
People acting for the organisation (owners, approvers, `actor` labels) are employees, not the
customers' people these flows are about.

A document mentions the subject when one of its texts contains the subject's full name, e-mail
address or phone number, anywhere in the BU; or their last name alone, in a document of an
account the subject is a contact at (or of a deal they are the primary contact of). An export
lists those documents with the texts that mention the subject only, never their amounts (the
person may not work for the customer any more).

Erasure cuts the subject's name, e-mail and phone out of those texts (`[erased]`), except where
the law makes the organisation keep the document as it is (GDPR art. 17(3)(b), `LegalHold`):
- an issued invoice (any status but DRAFT) and every credit note are tax records: their notes
  and reason stay (e.g. DE: §147 AO, §14b UStG; JP: 法人税法 126条; CN: 会计档案管理办法);
- a payment is an accounting record (the booking's voucher): its reference stays;
- a signed contract is a commercial record (e.g. DE: §257 HGB): its terms stay.
Quotes, unsigned contracts' terms, every approval comment, orders and draft invoices are
scrubbed. What was kept is reported per kind and reason, so the person can be told why.

Retention (record types QUOTE, CONTRACT, ORDER, INVOICE, PAYMENT) blanks these texts entirely
once a document is closed and unchanged since the cut-off; by then its legal period is over,
since the group sets the months per region (at least its jurisdiction's retention period). Each
document done is entered in `Anonymization` under its kind, so a run never selects it again.
A contact or lead anonymized by retention (not by a request) is not searched for in documents:
their texts go with the documents' own retention.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LegalHold(models.TextChoices):
    TAX_RECORD = "TAX_RECORD", _("Kept as a tax record (an issued invoice or a credit note)")
    ACCOUNTING_RECORD = "ACCOUNTING_RECORD", _("Kept as an accounting record (a payment)")
    SIGNED_CONTRACT = "SIGNED_CONTRACT", _("Kept as a commercial record (a signed contract)")


@dataclass(frozen=True)
class Part:
    """Rows of one model holding personal texts of a kind of document."""

    model: str  # "app_label.Model"
    fields: tuple[str, ...]
    account: str  # the lookup of the document's account from a row
    document: str = "pk"  # the lookup of the document's id from a row
    label: str = ""  # how the export names a text of a row: "<label>.<field>" ("" = the kind)
    # The rows kept as they are under an erasure request, and why.
    held: Q | None = None
    hold: LegalHold | None = None

    @property
    def manager(self) -> models.Manager[Any]:
        manager: models.Manager[Any] = apps.get_model(self.model)._default_manager
        return manager

    def held_ids(self, ids: set[int]) -> set[int]:
        """Those of the rows `ids` under legal hold."""
        if self.held is None or not ids:
            return set()
        return set(self.manager.filter(self.held, pk__in=ids).values_list("pk", flat=True))


@dataclass(frozen=True)
class Kind:
    """A kind of document: its API type, what identifies it to a person, its personal parts."""

    name: str  # also the policy's object type and the audit log's
    graphql_type: str
    model: str
    date: str  # the document's business date (a date or date-and-time field)
    parts: tuple[Part, ...]


ALWAYS = Q()
KINDS: tuple[Kind, ...] = (
    Kind(
        "quote",
        "Quote",
        "quotes.Quote",
        "quote_date",
        (
            Part("quotes.Quote", ("note", "decision_note"), account="account_id"),
            Part(
                "quotes.QuoteApproval",
                ("comment",),
                account="quote__account_id",
                document="quote_id",
                label="approval",
            ),
        ),
    ),
    Kind(
        "contract",
        "Contract",
        "contracts.Contract",
        "created_at",
        (
            Part(
                "contracts.Contract",
                ("terms",),
                account="account_id",
                held=Q(signed_on__isnull=False),
                hold=LegalHold.SIGNED_CONTRACT,
            ),
            Part(
                "contracts.ApprovalTask",
                ("comment",),
                account="contract__account_id",
                document="contract_id",
                label="approval",
            ),
            Part(
                "contracts.ApprovalEvent",
                ("comment",),
                account="contract__account_id",
                document="contract_id",
                label="trail",
            ),
        ),
    ),
    Kind(
        "order",
        "Order",
        "ledger.Order",
        "order_date",
        (Part("ledger.Order", ("customer_reference", "notes"), account="account_id"),),
    ),
    Kind(
        "invoice",
        "Invoice",
        "ledger.Invoice",
        "issue_date",
        (
            Part(
                "ledger.Invoice",
                ("notes",),
                account="account_id",
                held=~Q(status="DRAFT"),
                hold=LegalHold.TAX_RECORD,
            ),
        ),
    ),
    Kind(
        "credit_note",
        "CreditNote",
        "ledger.CreditNote",
        "issue_date",
        (
            Part(
                "ledger.CreditNote",
                ("reason",),
                account="account_id",
                held=ALWAYS,
                hold=LegalHold.TAX_RECORD,
            ),
        ),
    ),
    Kind(
        "payment",
        "Payment",
        "ledger.Payment",
        "received_on",
        (
            Part(
                "ledger.Payment",
                ("reference",),
                account="payer_id",
                held=ALWAYS,
                hold=LegalHold.ACCOUNTING_RECORD,
            ),
        ),
    ),
)
BY_NAME = {kind.name: kind for kind in KINDS}
KIND_NAMES = tuple(BY_NAME)


@dataclass(frozen=True)
class Traces:
    """What identifies the subject in a text: `strong` anywhere (full names, e-mail, phones),
    `weak` (last names too) only in documents of the subject's accounts. Longest first."""

    strong: list[str]
    weak: list[str]
    accounts: set[int] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not self.weak


def _contains_any(fields: Iterable[str], texts: Iterable[str]) -> Q:
    condition = Q(pk__in=[])
    for name in fields:
        for text in texts:
            condition |= Q(**{f"{name}__icontains": text})
    return condition


def mentioning(traces: Traces) -> dict[str, list[int]]:
    """The documents of each kind whose texts mention the subject (ids, ascending)."""
    found: dict[str, list[int]] = {}
    if traces.empty:
        return found
    for kind in KINDS:
        ids: set[int] = set()
        for part in kind.parts:
            condition = _contains_any(part.fields, traces.strong)
            if traces.accounts:
                condition |= Q(**{f"{part.account}__in": traces.accounts}) & _contains_any(
                    part.fields, traces.weak
                )
            ids |= set(part.manager.filter(condition).values_list(part.document, flat=True))
        if ids:
            found[kind.name] = sorted(ids)
    return found


def _mentions(text: str, traces: Traces) -> bool:
    lowered = text.lower()
    return any(trace.lower() in lowered for trace in traces.weak)


def _rows(part: Part, ids: Iterable[int]) -> models.QuerySet[Any]:
    return part.manager.filter(**{f"{part.document}__in": list(ids)}).order_by(part.document, "pk")


def _day(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value).isoformat()
    return str(value.isoformat())


def _number(document: Any) -> str | None:
    number = getattr(document, "number", None)
    version = getattr(document, "version", None)
    if number and version:
        return f"{number} v{version}"
    return str(number) if number else None


def describe(
    documents: dict[str, list[int]], traces: Traces, global_id: Any
) -> list[dict[str, Any]]:
    """The export's `documents`: per document the texts that mention the subject, with the
    legal hold that would keep each from an erasure (see export.schema.json, `document`)."""
    described = []
    for kind in KINDS:
        ids = documents.get(kind.name, [])
        if not ids:
            continue
        texts: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
        for part in kind.parts:
            rows = list(_rows(part, ids))
            held = part.held_ids({row.pk for row in rows})
            for row in rows:
                for name in part.fields:
                    text = getattr(row, name)
                    if text and _mentions(text, traces):
                        texts[_document_id(part, row)].append(
                            {
                                "field": f"{part.label or kind.name}.{name}",
                                "text": text,
                                "legal_hold": part.hold if row.pk in held else None,
                            }
                        )
        model = apps.get_model(kind.model)
        for document in model._default_manager.filter(pk__in=ids).order_by("pk"):
            if texts[document.pk]:
                described.append(
                    {
                        "type": kind.name,
                        "id": global_id(kind.graphql_type, document.pk),
                        "number": _number(document),
                        "date": _day(getattr(document, kind.date)),
                        "texts": texts[document.pk],
                    }
                )
    return described


def _document_id(part: Part, row: Any) -> int:
    return int(row.pk if part.document == "pk" else getattr(row, part.document))


@dataclass
class Scrubbed:
    """What an erasure did to documents: texts changed per kind, and texts kept (held) per
    kind and reason."""

    changed: dict[str, list[int]] = field(default_factory=dict)
    held: dict[tuple[str, str], int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: len(ids) for name, ids in self.changed.items()}


def scrub(documents: dict[str, list[int]], traces: Traces) -> Scrubbed:
    """Cut the subject's traces out of the documents' texts, except the legally held ones."""
    from crm.tenants.personaldata.subjects import _scrubbed

    done = Scrubbed()
    for kind in KINDS:
        ids = documents.get(kind.name, [])
        if not ids:
            continue
        changed: set[int] = set()
        for part in kind.parts:
            rows = list(_rows(part, ids).only("pk", *part.fields, *_lookup_fields(part)))
            held = part.held_ids({row.pk for row in rows})
            for row in rows:
                mentioned = [name for name in part.fields if _mentions(getattr(row, name), traces)]
                if not mentioned:
                    continue
                if row.pk in held:
                    assert part.hold is not None
                    key = (kind.name, part.hold.value)
                    done.held[key] = done.held.get(key, 0) + 1
                    continue
                part.manager.filter(pk=row.pk).update(
                    **{name: _scrubbed(getattr(row, name), traces.weak) for name in mentioned}
                )
                changed.add(_document_id(part, row))
        if changed:
            done.changed[kind.name] = sorted(changed)
    return done


def _lookup_fields(part: Part) -> tuple[str, ...]:
    return () if part.document == "pk" else (part.document,)


# -- retention ----------------------------------------------------------------------------------


def expired(kind_names: Iterable[str], cutoff: datetime.datetime) -> dict[str, list[int]]:
    """Closed documents unchanged since `cutoff`, not yet anonymized, per kind:

    - quote: its deal is closed, or it is (accepted, rejected, expired, or an older version);
    - contract: signed or cancelled;
    - order: cancelled, or delivered and invoiced in full;
    - invoice: settled or cancelled before the cut-off's day (drafts and cancelled ones: not
      changed since), with its credit notes (kind credit_note);
    - payment: allocated in full before the cut-off's day (unallocated credit is still open).
    """
    from crm.masterdata.sales.models import StageKind
    from crm.tenants.personaldata.models import Anonymization

    day = timezone.localdate(cutoff)
    wanted = set(kind_names)
    conditions: dict[str, Q] = {
        "quote": Q(updated_at__lt=cutoff)
        & (
            ~Q(opportunity__status=StageKind.OPEN)
            | Q(is_current=False)
            | Q(status__in=["ACCEPTED", "REJECTED", "EXPIRED"])
        ),
        "contract": Q(updated_at__lt=cutoff, status__in=["signed", "cancelled"]),
        "order": Q(updated_at__lt=cutoff)
        & (Q(status="CANCELLED") | Q(status="DELIVERED", invoiced_amount__gte=models.F("total"))),
        "invoice": Q(closed_on__lt=day)
        | Q(status__in=["DRAFT", "CANCELLED"], updated_at__lt=cutoff),
        "payment": Q(allocated_in_full_on__lt=day),
    }
    found: dict[str, list[int]] = {}
    for name in KIND_NAMES:
        if name not in wanted or name not in conditions:
            continue
        kind = BY_NAME[name]
        done = Anonymization.objects.filter(record_type=name).values("record_id")
        found[name] = sorted(
            apps.get_model(kind.model)
            ._default_manager.filter(conditions[name])
            .exclude(pk__in=done)
            .values_list("pk", flat=True)
        )
        if name == "invoice":
            credit_notes = apps.get_model("ledger.CreditNote")._default_manager
            found["credit_note"] = sorted(
                credit_notes.filter(invoice_id__in=found[name])
                .exclude(
                    pk__in=Anonymization.objects.filter(record_type="credit_note").values(
                        "record_id"
                    )
                )
                .values_list("pk", flat=True)
            )
    return {name: ids for name, ids in found.items() if ids}


def blank(documents: dict[str, list[int]]) -> dict[str, int]:
    """Empty every personal text of the documents (their retention ended), and the payment
    references copied into the ledger's integration events. Returns documents done per kind."""
    counts: dict[str, int] = {}
    for kind in KINDS:
        ids = documents.get(kind.name, [])
        if not ids:
            continue
        for part in kind.parts:
            _rows(part, ids).update(**dict.fromkeys(part.fields, ""))
        counts[kind.name] = len(ids)
    if documents.get("payment"):
        _blank_event_references(documents["payment"])
    return counts


def _blank_event_references(payment_ids: list[int]) -> None:
    """The `payment.received` events (and their webhook deliveries) carry the reference."""
    from crm.tenants.automation.models import WebhookDelivery
    from crm.tenants.ledger.models import IntegrationEvent

    events = IntegrationEvent.objects.filter(record_type="Payment", record_id__in=payment_ids)
    for event in events:
        data = dict(event.payload.get("data") or {})
        if not data.get("reference"):
            continue
        data["reference"] = ""
        payload = {**event.payload, "data": data}
        IntegrationEvent.objects.filter(pk=event.pk).update(payload=payload)
        WebhookDelivery.objects.filter(payload__event_id=str(event.event_id)).update(
            payload=payload
        )
