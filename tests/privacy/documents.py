"""Set-up for the privacy tests of quote-to-cash documents: quotes, contracts (with approvals and
their trail), orders, invoices, credit notes and payments of an account, written straight to
the database in a business unit's schema (set-up only, never what a test checks).

    docs = Documents(account_id=..., deal_id=..., owner=seller)
    quote = docs.quote(note="Angebot für Anna Zyxwerda", status="ACCEPTED")
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from crm.platform.accounts.models import User
from crm.tenants.automation.models import WebhookDelivery
from crm.tenants.contracts.models import (
    ApprovalEvent,
    ApprovalRequest,
    ApprovalTask,
    Contract,
)
from crm.tenants.ledger.models import (
    CreditNote,
    IntegrationEvent,
    Invoice,
    Order,
    OrderLine,
    Payment,
)
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.quotes.models import Quote, QuoteApproval

_numbers = itertools.count(1)


def _converted(day: datetime.date) -> dict[str, Any]:
    return {
        "currency": "EUR",
        "group_currency": "CNY",
        "fx_date": day,
        "fx_rate": Decimal("7.8125"),
        "fx_rate_date": day,
        "fx_rate_type": "SPOT",
    }


@dataclass
class Documents:
    """Makes documents of one account and deal, owned by `owner` (run in the BU's schema)."""

    account_id: int
    deal_id: int
    owner: User
    day: datetime.date = datetime.date(2026, 3, 2)

    def quote(self, *, note: str = "", decision_note: str = "", status: str = "SENT") -> Quote:
        number = next(_numbers)
        return Quote.objects.create(
            number=f"Q-PD-{number}",
            opportunity_id=self.deal_id,
            account_id=self.account_id,
            owner=self.owner,
            status=status,
            currency="EUR",
            language="de",
            quote_date=self.day,
            valid_until=self.day + datetime.timedelta(days=30),
            net_amount=Decimal("1000.00"),
            tax_amount=Decimal("190.00"),
            gross_amount=Decimal("1190.00"),
            note=note,
            decision_note=decision_note,
        )

    def quote_approval(self, quote: Quote, comment: str) -> QuoteApproval:
        return QuoteApproval.objects.create(
            quote=quote,
            kind="APPROVED",
            discount=Decimal("5"),
            user=self.owner,
            actor=self.owner.username,
            comment=comment,
        )

    def contract(
        self,
        *,
        terms: str,
        signed: bool,
        approval_comment: str = "",
        trail_comment: str = "",
    ) -> Contract:
        quote = self.quote(status="ACCEPTED")
        contract = Contract.objects.create(
            number=f"V-PD-{next(_numbers)}",
            quote=quote,
            opportunity_id=self.deal_id,
            account_id=self.account_id,
            customer_id=LocalCustomer.objects.get(pk=self.account_id).customer_id,
            owner=self.owner,
            status="signed" if signed else "negotiation",
            currency="EUR",
            net_amount=Decimal("1000.00"),
            tax_amount=Decimal("190.00"),
            total_amount=Decimal("1190.00"),
            terms=terms,
            signed_on=self.day if signed else None,
            signed_by=self.owner if signed else None,
        )
        request = ApprovalRequest.objects.create(
            contract=contract,
            status="APPROVED",
            amount_group=Decimal("9296.88"),
            group_currency="CNY",
            discount=Decimal("0"),
        )
        ApprovalTask.objects.create(
            request=request,
            contract=contract,
            position=1,
            name="finance",
            approver_role="finance",
            status="APPROVED",
            comment=approval_comment,
        )
        ApprovalEvent.objects.create(
            contract=contract, request=request, kind="SUBMITTED", comment=trail_comment
        )
        return contract

    def order(self, *, customer_reference: str = "", notes: str = "", **fields: Any) -> Order:
        values: dict[str, Any] = {
            "number": f"SO-PD-{next(_numbers)}",
            "account_id": self.account_id,
            "owner": self.owner,
            "order_date": self.day,
            "confirmed": True,
            "status": "DELIVERED",
            "total": Decimal("100.00"),
            "net_total": Decimal("100.00"),
            "total_group": Decimal("781.25"),
            "invoiced_amount": Decimal("100.00"),
            "customer_reference": customer_reference,
            "notes": notes,
            **_converted(self.day),
        }
        values.update(fields)
        order = Order.objects.create(**values)
        OrderLine.objects.create(
            order=order,
            position=1,
            material_id=1,
            material_code="M-001",
            unit="PCE",
            quantity=2,
            unit_price=Decimal("50"),
            amount=Decimal("100.00"),
            amount_group=Decimal("781.25"),
            delivered_quantity=2,
            invoiced_quantity=2,
        )
        return order

    def invoice(self, *, notes: str, issued: bool = True, paid: bool = False) -> Invoice:
        order = self.order()
        status = ("PAID" if paid else "ISSUED") if issued else "DRAFT"
        return Invoice.objects.create(
            number=f"INV-PD-{next(_numbers)}" if issued else None,
            order=order,
            account_id=self.account_id,
            owner=self.owner,
            status=status,
            notes=notes,
            issue_date=self.day if issued else None,
            due_date=self.day + datetime.timedelta(days=30) if issued else None,
            total=Decimal("100.00"),
            net_total=Decimal("100.00"),
            total_group=Decimal("781.25") if issued else None,
            paid_amount=Decimal("100.00") if paid else Decimal(0),
            open_amount=Decimal(0) if paid or not issued else Decimal("100.00"),
            open_amount_group=Decimal(0) if paid or not issued else Decimal("781.25"),
            last_settled_on=self.day if paid else None,
            closed_on=self.day if paid else None,
            **(_converted(self.day) if issued else {"currency": "EUR", "group_currency": "CNY"}),
        )

    def credit_note(self, invoice: Invoice, *, reason: str) -> CreditNote:
        return CreditNote.objects.create(
            number=f"CN-PD-{next(_numbers)}",
            invoice=invoice,
            account_id=self.account_id,
            owner=self.owner,
            issue_date=self.day,
            reason=reason,
            amount=Decimal("10.00"),
            net_amount=Decimal("10.00"),
            amount_group=Decimal("78.13"),
            **_converted(self.day),
        )

    def payment(self, *, reference: str, allocated: bool = True) -> Payment:
        amount = Decimal("50.00")
        payment = Payment.objects.create(
            number=f"PAY-PD-{next(_numbers)}",
            payer_id=self.account_id,
            owner=self.owner,
            received_on=self.day,
            reference=reference,
            amount=amount,
            amount_group=Decimal("390.63"),
            allocated_amount=amount if allocated else Decimal(0),
            unallocated_amount=Decimal(0) if allocated else amount,
            last_allocated_on=self.day if allocated else None,
            allocated_in_full_on=self.day if allocated else None,
            **_converted(self.day),
        )
        # As the ledger's integration publishes it: the event and its delivery to the ERP.
        event_id = uuid.uuid4()
        event = {
            "event_id": str(event_id),
            "data": {"number": payment.number, "reference": reference},
        }
        IntegrationEvent.objects.create(
            event_id=event_id,
            kind="payment.received",
            idempotency_key=f"payment.received:{payment.pk}",
            record_type="Payment",
            record_id=payment.pk,
            payload=event,
        )
        WebhookDelivery.objects.create(
            url="https://erp.example.com/ledger", event_id=uuid.uuid4(), payload=event
        )
        return payment


def money_and_counts() -> dict[str, Any]:
    """Row counts and money totals of every quote-to-cash table of the current schema."""
    totals: dict[str, Any] = {}
    for name, queryset, fields in (
        ("quotes", Quote.objects.all(), ("net_amount", "gross_amount")),
        ("quote_approvals", QuoteApproval.objects.all(), ("discount",)),
        ("contracts", Contract.objects.all(), ("total_amount",)),
        ("approvals", ApprovalTask.objects.all(), ("position",)),
        ("trail", ApprovalEvent.objects.all(), ("id",)),
        ("orders", Order.objects.all(), ("total", "total_group", "invoiced_amount")),
        ("invoices", Invoice.objects.all(), ("total", "paid_amount", "open_amount")),
        ("credit_notes", CreditNote.objects.all(), ("amount", "amount_group")),
        ("payments", Payment.objects.all(), ("amount", "amount_group", "unallocated_amount")),
    ):
        totals[name] = queryset.aggregate(
            rows=Count("pk"), **{field: Sum(field) for field in fields}
        )
    totals["numbers"] = sorted(
        [
            *Quote.objects.values_list("number", flat=True),
            *Contract.objects.values_list("number", flat=True),
            *Order.objects.values_list("number", flat=True),
            *(n for n in Invoice.objects.values_list("number", flat=True) if n),
            *CreditNote.objects.values_list("number", flat=True),
            *Payment.objects.values_list("number", flat=True),
        ]
    )
    return totals


def aged(model: type[Any], pk: int, days: int, *date_fields: str) -> None:
    """Make a document look `days` old: its `updated_at`, and the date fields named."""
    moment = timezone.now() - datetime.timedelta(days=days)
    values: dict[str, Any] = dict.fromkeys(date_fields, moment.date())
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        values["updated_at"] = moment
    model.objects.filter(pk=pk).update(**values)
