"""Contracts of a business unit, their payment plans, and approval flows as data.

A contract is made from an accepted quote and carries its amounts (the quote's currency, the
BU's). It is negotiated (terms, payment terms), submitted for approval, approved by the flow
the BU configured for its amount (in the group currency) and discount, then signed; signing
creates the payment plan. Orders and invoices (the ledger) point at a contract by id and read
`total`, `currency`, `account_id` / `customer_id`.

Approval flows are rows, not code: a flow applies from an amount and/or a discount, its steps
run one after another (SEQUENTIAL) or all at once (PARALLEL), each step is decided by a user
or by any holder of a role (or their delegate), and a step may itself apply only from an
amount or discount. Every submission, decision and delegation is kept (`ApprovalEvent`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from moneyed import Money

from crm.platform.core.money import CurrencyCodeField, amount_field
from crm.platform.core.placement import tenant_model


class ContractStatus(models.TextChoices):
    NEGOTIATION = "negotiation", _("In negotiation")
    IN_APPROVAL = "in_approval", _("In approval")
    APPROVED = "approved", _("Approved")
    SIGNED = "signed", _("Signed")
    CANCELLED = "cancelled", _("Cancelled")


CONTRACT_STAGES = tuple(ContractStatus.values)


def default_payment_terms() -> list[dict[str, object]]:
    return [{"percent": "100", "days": 30}]


@tenant_model(personal_data=True)
class Contract(models.Model):
    number = models.CharField(max_length=20, unique=True)
    quote = models.OneToOneField("quotes.Quote", on_delete=models.PROTECT, related_name="contract")
    opportunity = models.ForeignKey(
        "opportunities.Opportunity", on_delete=models.PROTECT, related_name="contracts"
    )
    account = models.ForeignKey(
        "localcustomers.LocalCustomer", on_delete=models.PROTECT, related_name="contracts"
    )
    customer_id = models.BigIntegerField(help_text=_("Golden customer (shared schema) id."))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12, choices=ContractStatus.choices, default=ContractStatus.NEGOTIATION
    )
    currency = CurrencyCodeField()
    net_amount = amount_field()
    tax_amount = amount_field()
    total_amount = amount_field(help_text=_("Gross: what the customer pays."))
    # The highest discount of the quote, in %, for the approval flows.
    discount = models.DecimalField(max_digits=7, decimal_places=3, default=Decimal(0))
    # The total in the group currency at the spot rate of the submission day (thresholds).
    amount_group = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)
    group_currency = CurrencyCodeField(blank=True, default="")
    fx_rate = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)
    fx_rate_date = models.DateField(null=True, blank=True)
    # Personal data where it names people (signatories, contacts); kept once signed.
    terms = models.TextField(blank=True, default="")
    # [{"percent": "30", "days": 0}, ...]: shares of the total due that many days after signing.
    payment_terms = models.JSONField(default=default_payment_terms)
    signed_on = models.DateField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="contract_status"),
            models.Index(fields=["account", "status"], name="contract_account"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Money:
        return Money(self.total_amount, self.currency)


@tenant_model(personal_data=False)
class PaymentInstalment(models.Model):
    """One instalment of a signed contract's payment plan; the plan sums to the total exactly."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="instalments")
    position = models.PositiveIntegerField()
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    due_date = models.DateField()
    amount = amount_field()
    currency = CurrencyCodeField()

    class Meta:
        ordering = ["contract", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "position"], name="one_instalment_per_position"
            ),
            models.CheckConstraint(name="instalment_not_negative", condition=Q(amount__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}/{self.position}: {self.amount} {self.currency}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class FlowMode(models.TextChoices):
    SEQUENTIAL = "SEQUENTIAL", _("One step after another")
    PARALLEL = "PARALLEL", _("All steps at once")


@tenant_model(personal_data=False)
class ApprovalFlow(models.Model):
    """Which approvals a contract needs: the first active flow (by position) whose thresholds
    the contract reaches applies; without one, a contract is approved when submitted."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    mode = models.CharField(max_length=10, choices=FlowMode.choices, default=FlowMode.SEQUENTIAL)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    # In the group currency / in %: the flow applies from these (empty: any).
    min_amount_group = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)
    min_discount = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.code


@tenant_model(personal_data=False)
class ApprovalStep(models.Model):
    flow = models.ForeignKey(ApprovalFlow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    approver_role = models.CharField(max_length=40, blank=True, default="")
    approver_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The step is part of a contract's approval only from these (empty: always).
    min_amount_group = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)
    min_discount = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "position"], name="approval_step_position"),
            models.CheckConstraint(
                name="approval_step_one_approver",
                condition=(Q(approver_role="") & Q(approver_user__isnull=False))
                | (~Q(approver_role="") & Q(approver_user__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.flow_id}/{self.position}"


class RequestStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    APPROVED = "APPROVED", _("Approved")
    REJECTED = "REJECTED", _("Rejected")
    WITHDRAWN = "WITHDRAWN", _("Withdrawn")


@tenant_model(personal_data=False)
class ApprovalRequest(models.Model):
    """One submission of a contract for approval, with the flow and figures it was routed by."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="approval_requests"
    )
    flow_code = models.CharField(max_length=40, blank=True, default="")
    mode = models.CharField(max_length=10, choices=FlowMode.choices, default=FlowMode.SEQUENTIAL)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    amount_group = amount_field()
    group_currency = CurrencyCodeField()
    discount = models.DecimalField(max_digits=7, decimal_places=3)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.contract_id}:{self.status}"


class TaskStatus(models.TextChoices):
    WAITING = "WAITING", _("Waiting for an earlier step")
    PENDING = "PENDING", _("Pending")
    APPROVED = "APPROVED", _("Approved")
    REJECTED = "REJECTED", _("Rejected")
    WITHDRAWN = "WITHDRAWN", _("No longer needed")


@tenant_model(personal_data=True)
class ApprovalTask(models.Model):
    """One step of a request, for its approver (GraphQL `Approval`)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="tasks")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    approver_role = models.CharField(max_length=40, blank=True, default="")
    approver_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=TaskStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set when the decision was taken by a delegate: whom they stood in for.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(max_length=1000, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request", "position"]
        indexes = [models.Index(fields=["status", "approver_role"], name="approval_task_open")]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.position}:{self.status}"


@tenant_model(personal_data=True)
class ApprovalDelegation(models.Model):
    """From `starts_on` to `ends_on` (inclusive), `delegate` may decide what `delegator` may."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="delegation_window_ordered", condition=Q(ends_on__gte=models.F("starts_on"))
            ),
            models.CheckConstraint(
                name="delegation_to_another", condition=~Q(delegate=models.F("delegator"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator_id}->{self.delegate_id} {self.starts_on}..{self.ends_on}"


@tenant_model(personal_data=True)
class ApprovalEvent(models.Model):
    """The trail of a contract's approval: who did what, when, with which comment."""

    class Kind(models.TextChoices):
        SUBMITTED = "SUBMITTED", _("Submitted for approval")
        NOT_REQUIRED = "NOT_REQUIRED", _("No approval required")
        OPENED = "OPENED", _("Step opened")
        APPROVED = "APPROVED", _("Step approved")
        REJECTED = "REJECTED", _("Step rejected")
        COMPLETED = "COMPLETED", _("Contract approved")
        SIGNED = "SIGNED", _("Contract signed")
        CANCELLED = "CANCELLED", _("Contract cancelled")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="events")
    request = models.ForeignKey(
        ApprovalRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    task = models.ForeignKey(
        ApprovalTask, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.CharField(max_length=200, blank=True, default="")
    comment = models.CharField(max_length=1000, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract", "at", "id"]

    def __str__(self) -> str:
        return f"{self.contract_id}:{self.kind}"
